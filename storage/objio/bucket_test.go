package objio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// flaky is a backend that fails the first fails calls of each kind with a
// transient error. An in-memory fake: the faults it injects (a listing
// cut after some keys, a lost Put) cannot be produced on demand by a real
// store; the storage conformance suite and job's fault tests (a toxiproxy
// in front of MinIO) cover the real backends.
type flaky struct {
	keys  []string
	fails map[string]int
	calls map[string]int
	put   []string
}

var errTransient = errors.New("connection reset")

func (f *flaky) fail(op string) bool {
	f.calls[op]++
	return f.calls[op] <= f.fails[op]
}

func (f *flaky) List(_ context.Context, _ string, fn func(storage.ObjectInfo) error) error {
	for i, k := range f.keys {
		if i == 2 && f.fail("list") {
			return fmt.Errorf("list b/: %w", errTransient)
		}
		if err := fn(storage.ObjectInfo{Key: k}); err != nil {
			return err
		}
	}
	return nil
}

func (f *flaky) ListDirs(_ context.Context, _ string, fn func(string) error) error {
	for i, k := range f.keys {
		if i == 2 && f.fail("dirs") {
			return fmt.Errorf("list dirs b/: %w", errTransient)
		}
		if err := fn(k + "/"); err != nil {
			return err
		}
	}
	return nil
}

func (f *flaky) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	if f.fail("open") {
		return nil, fmt.Errorf("open %s: %w", key, errTransient)
	}
	return io.NopCloser(strings.NewReader("x")), nil
}

func (f *flaky) OpenListed(ctx context.Context, info storage.ObjectInfo, off, _ int64) (io.ReadCloser, error) {
	return f.Open(ctx, info.Key, off)
}

func (f *flaky) Put(_ context.Context, key string, r io.Reader, _ int64, _ storage.PutOptions) (storage.ObjectInfo, error) {
	b, _ := io.ReadAll(r)
	if f.fail("put") {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, errTransient)
	}
	f.put = append(f.put, string(b))
	return storage.ObjectInfo{Key: key}, nil
}

func (f *flaky) Delete(_ context.Context, key string) error {
	if f.fail("delete") {
		return fmt.Errorf("delete %s: %w", key, errTransient)
	}
	return nil
}

func (f *flaky) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	if f.fail("stat") {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, storage.ErrNotExist)
	}
	return storage.ObjectInfo{Key: key}, nil
}

func newFlaky(fails map[string]int) *flaky {
	return &flaky{keys: []string{"a", "b", "c", "d"}, fails: fails, calls: map[string]int{}}
}

var quick = Policy{Deadline: 10 * time.Second}

func TestListResumesPastSeenKeys(t *testing.T) {
	f := newFlaky(map[string]int{"list": 2})
	var got []string
	err := New(f, quick).List(context.Background(), "", func(o storage.ObjectInfo) error {
		got = append(got, o.Key)
		return nil
	})
	if err != nil || strings.Join(got, ",") != "a,b,c,d" {
		t.Fatalf("List = %v, %v; want each key once", got, err)
	}
}

// Every listing that takes a callback resumes past what it delivered after
// a transient failure, and ends at once, unretried, on the callback's error.
func TestListingsResumeAndStopOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	for name, list := range map[string]func(b *Bucket, fn func(string) error) error{
		"List": func(b *Bucket, fn func(string) error) error {
			return b.List(context.Background(), "", func(o storage.ObjectInfo) error { return fn(o.Key) })
		},
		"ListDirs": func(b *Bucket, fn func(string) error) error {
			return b.ListDirs(context.Background(), "", func(d string) error { return fn(strings.TrimSuffix(d, "/")) })
		},
	} {
		var got []string
		err := list(New(newFlaky(map[string]int{"list": 2, "dirs": 2}), quick), func(k string) error { got = append(got, k); return nil })
		if err != nil || strings.Join(got, ",") != "a,b,c,d" {
			t.Errorf("%s = %v, %v; want each key once", name, got, err)
		}
		f := newFlaky(map[string]int{"list": 2, "dirs": 2})
		n := 0
		err = list(New(f, quick), func(string) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("%s = %v after %d calls; want fn's error at once", name, err, n)
		}
	}
}

func TestPutRetriesOnlyRewindableBodies(t *testing.T) {
	f := newFlaky(map[string]int{"put": 1})
	if _, err := New(f, quick).Put(context.Background(), "k", bytes.NewReader([]byte("body")), 4, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(f.put) != 1 || f.put[0] != "body" {
		t.Fatalf("stored %q; want the whole body once", f.put)
	}
	f = newFlaky(map[string]int{"put": 1})
	_, err := New(f, quick).Put(context.Background(), "k", io.MultiReader(strings.NewReader("body")), 4, storage.PutOptions{})
	if !errors.Is(err, errTransient) || f.calls["put"] != 1 {
		t.Fatalf("Put of a stream = %v after %d calls; want one attempt", err, f.calls["put"])
	}
}

func TestPermanentIsNotRetried(t *testing.T) {
	f := newFlaky(map[string]int{"stat": 5})
	_, err := New(f, quick).Stat(context.Background(), "k")
	if !errors.Is(err, storage.ErrNotExist) || f.calls["stat"] != 1 {
		t.Fatalf("Stat = %v after %d calls; want ErrNotExist at once", err, f.calls["stat"])
	}
}

func TestGiveUpSaysWhatOnce(t *testing.T) {
	var retries atomic.Int64
	f := newFlaky(map[string]int{"delete": 1000})
	err := New(f, Policy{Deadline: 300 * time.Millisecond, Retries: &retries}).Delete(context.Background(), "x/y")
	if !errors.Is(err, errTransient) {
		t.Fatalf("Delete = %v", err)
	}
	if msg := err.Error(); strings.Count(msg, "delete x/y") != 1 || !strings.Contains(msg, "gave up after") {
		t.Errorf("error %q: want the operation once and how long it was retried", msg)
	}
	if retries.Load() == 0 {
		t.Error("retries were not counted")
	}
}

func TestDoDoesNotNestRetries(t *testing.T) {
	f := newFlaky(map[string]int{"open": 1000})
	b := New(f, Policy{Deadline: 300 * time.Millisecond})
	attempts := 0
	err := b.Policy().Do(context.Background(), "read manifest", func(ctx context.Context) error {
		attempts++
		_, err := b.Open(ctx, "m", 0)
		return err
	})
	if !errors.Is(err, errTransient) {
		t.Fatalf("Do = %v", err)
	}
	if f.calls["open"] != attempts {
		t.Errorf("%d opens in %d attempts: the bucket retried inside Do", f.calls["open"], attempts)
	}
	if msg := err.Error(); strings.Count(msg, "read manifest") != 1 || strings.Count(msg, "open m") != 1 {
		t.Errorf("error %q: want what once", msg)
	}
}
