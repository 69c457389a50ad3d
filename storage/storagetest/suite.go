package storagetest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// CreateRacers is how many writers the ConditionalPutFailures case races
// to create the key "c/race".
const CreateRacers = 8

// Case is one property of the storage contract, checked on a fresh, empty
// store.
type Case struct {
	Name string
	Test func(t testing.TB, s Store)
}

// Run runs the conformance suite against stores made by newStore; each
// case gets a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { c.Test(t, newStore(t)) })
	}
}

// Failures runs the case named name on s and returns what it reported,
// without failing t: a test proves with it that the suite catches a store
// broken on purpose. It fails t when there is no such case.
func Failures(t *testing.T, name string, s Store) []string {
	t.Helper()
	for _, c := range Cases() {
		if c.Name != name {
			continue
		}
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.Test(r, s)
		}()
		<-done
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.skipped != "" {
			t.Errorf("case %s skipped: %s", name, r.skipped)
		}
		return r.msgs
	}
	t.Fatalf("no conformance case %q", name)
	return nil
}

// recorder is a testing.TB that records failures instead of failing: Fatal
// and FailNow end the case's goroutine, as they do a test's.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	msgs    []string
	skipped string
}

func (r *recorder) skip(msg string) {
	r.mu.Lock()
	r.skipped = msg
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Skip(a ...any)            { r.skip(fmt.Sprint(a...)) }
func (r *recorder) Skipf(f string, a ...any) { r.skip(fmt.Sprintf(f, a...)) }
func (r *recorder) SkipNow()                 { r.skip("skipped") }

func (r *recorder) add(msg string) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.mu.Unlock()
}
func (r *recorder) Helper()                   {}
func (r *recorder) Fail()                     { r.add("failed") }
func (r *recorder) Error(a ...any)            { r.add(fmt.Sprint(a...)) }
func (r *recorder) Errorf(f string, a ...any) { r.add(fmt.Sprintf(f, a...)) }
func (r *recorder) FailNow()                  { r.add("failed"); runtime.Goexit() }
func (r *recorder) Fatal(a ...any)            { r.add(fmt.Sprint(a...)); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) {
	r.add(fmt.Sprintf(f, a...))
	runtime.Goexit()
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs) > 0
}

// Cases returns the conformance suite: every property a backend must have,
// in the spirit of gocloud.dev/blob's drivertest.
func Cases() []Case {
	var cs []Case
	for _, part := range [][]Case{basicCases(), writeCases(), edgeCases(), keyCases(), deleteCases()} {
		cs = append(cs, part...)
	}
	return cs
}

// putString stores body under key, failing t if it cannot.
func putString(t testing.TB, s Store, key, body string) storage.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, strings.NewReader(body), int64(len(body)), storage.PutOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return info
}

// readString reads key from off, failing t if it cannot.
func readString(t testing.TB, s Store, key string, off int64) string {
	t.Helper()
	rc, err := s.Open(context.Background(), key, off)
	if err != nil {
		t.Fatalf("open %s at %d: %v", key, off, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s from %d: %v", key, off, err)
	}
	return string(b)
}

// listKeys lists the keys under prefix, failing t if it cannot.
func listKeys(t testing.TB, s Store, prefix string) []string {
	t.Helper()
	var ks []string
	if err := s.List(context.Background(), prefix, func(o storage.ObjectInfo) error {
		ks = append(ks, o.Key)
		return nil
	}); err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return ks
}
