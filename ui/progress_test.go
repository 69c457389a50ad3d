package ui

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer the progress display's redraws may write
// to from their own goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Every phase is named on the display as it starts, the bytes of the
// reading bar are labelled as read from storage, and a retry shows its
// attempt and error. The display used to show nothing before the listing
// ended and after the last byte was read, and an unlabelled rate.
func TestProgressNamesPhasesAndRetries(t *testing.T) {
	var w lockedBuffer
	p := NewProgress(&w)
	defer p.Finish()
	for _, step := range []struct {
		do   func()
		want string
	}{
		{func() { p.Phase("checking the output") }, "checking the output"},
		{func() { p.Phase("listing") }, "listing"},
		{func() { p.Retrying(2, errors.New("list s3://b/logs/: 503 Slow Down")) }, "retrying (attempt 2 failed: list s3://b/logs/: 503 Slow Down)"},
		{func() { p.Listed(3, 1000); p.Phase("reading") }, "reading 0/3 objects, read from storage"},
		{func() { p.Read(500); p.ObjectDone() }, "reading 1/3 objects, read from storage"},
		{func() { p.Phase("committing date 2025-11-08") }, "committing date 2025-11-08"},
		{func() { p.Phase("gc") }, "gc"},
	} {
		before := len(w.String())
		step.do()
		// A change may wait for the next redraw (at most refreshEvery):
		// wait for it, however long (the test's own timeout bounds it).
		for !strings.Contains(w.String()[before:], step.want) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}
