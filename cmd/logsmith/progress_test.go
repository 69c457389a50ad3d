package main

import (
	"bytes"
	"errors"
	"runtime/debug"
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
	p := newBarProgress(&w)
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

// The version comes from -ldflags, else from what go build stamped from
// the VCS; "dev (commit unknown)" only when neither says.
func TestBuildVersion(t *testing.T) {
	vcs := func(rev, modified, at string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20251108120000-0123456789ab"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}, {Key: "vcs.time", Value: at}}}
	}
	for _, c := range []struct {
		name, version, commit string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"ldflags", "v1.2.3", "abc", vcs("0123456789abcdef", "true", "2025-11-08T12:00:00Z"), "logsmith v1.2.3 (commit abc, go1.x)"},
		{"go build in a checkout", "dev", "", vcs("0123456789abcdef", "false", "2025-11-08T12:00:00Z"),
			"logsmith v0.0.0-20251108120000-0123456789ab (commit 0123456789abcdef of 2025-11-08T12:00:00Z, go1.x)"},
		{"uncommitted changes", "dev", "", vcs("0123456789abcdef", "true", "2025-11-08T12:00:00Z"),
			"logsmith v0.0.0-20251108120000-0123456789ab (commit 0123456789abcdef+modified of 2025-11-08T12:00:00Z, go1.x)"},
		{"go install module@version", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "logsmith v1.4.0 (commit unknown, go1.x)"},
		{"nothing stamped (-buildvcs=false)", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "logsmith dev (commit unknown, go1.x)"},
		{"no build info", "dev", "", nil, "logsmith dev (commit unknown, go1.x)"},
	} {
		if got := buildOf(c.version, c.commit, c.bi).String("go1.x"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
