package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// Store is the surface the conformance suite exercises: the whole
// storage contract. A store that is also a storage.DirLister has its
// folder listing checked too.
type Store interface {
	storage.Store
	storage.ListedOpener
	storage.Uploader
}

// S3Config returns the settings of the test MinIO server from the
// environment scripts/test.sh exports. Outside CI it skips the test when no
// server is configured, saying why; in CI (CI=true) it fails instead.
func S3Config(t testing.TB) storage.S3Config {
	t.Helper()
	if os.Getenv("LOGSMITH_TEST_S3") == "" || os.Getenv("LOGSMITH_S3_ENDPOINT") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but no MinIO configured: run the tests through scripts/test.sh")
		}
		t.Skip("no MinIO configured (LOGSMITH_TEST_S3 unset): run scripts/test.sh to include S3 tests")
	}
	return storage.S3Config{
		Endpoint:  os.Getenv("LOGSMITH_S3_ENDPOINT"),
		Region:    os.Getenv("LOGSMITH_S3_REGION"),
		AccessKey: os.Getenv("LOGSMITH_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("LOGSMITH_S3_SECRET_KEY"),
		Insecure:  os.Getenv("LOGSMITH_S3_INSECURE") == "true",
	}
}

// PostgresURL returns the URL of the test PostgreSQL server (an Iceberg
// SQL catalog's database) scripts/test.sh starts with scripts/postgres.sh.
// Like S3Config, outside CI it skips the test when there is none, saying
// why; in CI it fails instead.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LOGSMITH_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but LOGSMITH_TEST_POSTGRES is unset: run the tests through scripts/test.sh")
		}
		t.Skip("no PostgreSQL configured (LOGSMITH_TEST_POSTGRES unset): run scripts/test.sh, or eval \"$(scripts/postgres.sh start)\"")
	}
	return u
}

// NewBucket creates a fresh, uniquely named bucket on the test server and
// returns a store for it.
func NewBucket(t testing.TB) (*storage.S3, storage.S3Config) {
	t.Helper()
	cfg := S3Config(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	s, err := storage.NewS3(cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return s, cfg
}

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
	ctx := context.Background()
	put := func(t testing.TB, s Store, key, body string) storage.ObjectInfo {
		t.Helper()
		info, err := s.Put(ctx, key, strings.NewReader(body), int64(len(body)), storage.PutOptions{})
		if err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
		return info
	}
	read := func(t testing.TB, s Store, key string, off int64) string {
		t.Helper()
		rc, err := s.Open(ctx, key, off)
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
	keys := func(t testing.TB, s Store, prefix string) []string {
		t.Helper()
		var ks []string
		if err := s.List(ctx, prefix, func(o storage.ObjectInfo) error {
			ks = append(ks, o.Key)
			return nil
		}); err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		return ks
	}
	return []Case{
		// An upload is a fence: once aborted, its Complete can never land,
		// whatever is at the key meanwhile; completed, it cannot land twice.
		{Name: "UploadFence", Test: func(t testing.TB, s Store) {
			complete := func(u storage.Upload, body string) error {
				_, err := s.Complete(ctx, u, strings.NewReader(body), int64(len(body)))
				return err
			}
			for _, before := range []string{"", "in place"} {
				key := "f/" + strings.ReplaceAll(before, " ", "-") + "x.parquet"
				if before != "" {
					put(t, s, key, before)
				}
				u, err := s.Begin(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if got := keys(t, s, "f/"); slices.Contains(got, key) != (before != "") {
					t.Fatalf("a begun upload shows: %v", got)
				}
				if err := s.Abort(ctx, u); err != nil {
					t.Fatal(err)
				}
				if err := s.Abort(ctx, u); err != nil {
					t.Errorf("abort twice: %v", err)
				}
				if err := complete(u, "stale"); !errors.Is(err, storage.ErrPrecondition) {
					t.Errorf("complete after abort: %v, want ErrPrecondition", err)
				}
				if st, err := s.Stat(ctx, key); before == "" && !errors.Is(err, storage.ErrNotExist) {
					t.Errorf("after the fenced write: %v %v, want no object", st, err)
				} else if before != "" && read(t, s, key, 0) != before {
					t.Errorf("the fenced write replaced the object")
				}
				u, err = s.Begin(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				if err := complete(u, "fresh bytes"); err != nil {
					t.Fatal(err)
				}
				if got := read(t, s, key, 0); got != "fresh bytes" {
					t.Errorf("completed upload reads %q", got)
				}
				if err := complete(u, "again"); !errors.Is(err, storage.ErrPrecondition) {
					t.Errorf("complete twice: %v, want ErrPrecondition", err)
				}
				if err := s.Abort(ctx, u); err != nil {
					t.Errorf("abort after complete: %v", err)
				}
				if got := read(t, s, key, 0); got != "fresh bytes" {
					t.Errorf("after abort of a completed upload: %q", got)
				}
			}
		}},

		{Name: "PutStatOpen", Test: func(t testing.TB, s Store) {
			info := put(t, s, "a/b/c.txt", "hello world")
			if info.ETag == "" {
				t.Error("put returned no ETag")
			}
			st, err := s.Stat(ctx, "a/b/c.txt")
			if err != nil {
				t.Fatal(err)
			}
			if st.Size != 11 || st.ETag != info.ETag {
				t.Errorf("stat = size %d etag %q, want 11 and %q", st.Size, st.ETag, info.ETag)
			}
			if got := read(t, s, "a/b/c.txt", 0); got != "hello world" {
				t.Errorf("read = %q", got)
			}
			if got := read(t, s, "a/b/c.txt", 6); got != "world" {
				t.Errorf("read from 6 = %q", got)
			}
		}},
		{Name: "UnknownSize", Test: func(t testing.TB, s Store) {
			body := bytes.Repeat([]byte("0123456789"), 100_000)
			if _, err := s.Put(ctx, "big", io.MultiReader(bytes.NewReader(body)), -1, storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := read(t, s, "big", 0); got != string(body) {
				t.Errorf("read back %d bytes, want %d", len(got), len(body))
			}
		}},
		{Name: "Overwrite", Test: func(t testing.TB, s Store) {
			a := put(t, s, "k", "one")
			b := put(t, s, "k", "two!")
			if a.ETag == b.ETag {
				t.Error("ETag did not change on overwrite")
			}
			if got := read(t, s, "k", 0); got != "two!" {
				t.Errorf("read = %q", got)
			}
		}},
		{Name: "NotExist", Test: func(t testing.TB, s Store) {
			if _, err := s.Stat(ctx, "missing"); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("stat missing: %v, want ErrNotExist", err)
			}
			if _, err := s.Open(ctx, "missing/x", 0); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("open missing: %v, want ErrNotExist", err)
			}
			if err := s.Delete(ctx, "missing"); err != nil {
				t.Errorf("delete missing: %v, want nil", err)
			}
			if ks := keys(t, s, "nothing/"); len(ks) != 0 {
				t.Errorf("list empty prefix = %v", ks)
			}
		}},
		{Name: "ListOrderAndPrefix", Test: func(t testing.TB, s Store) {
			for _, k := range []string{"logs/b.json", "logs/a/2.json", "logs/a/1.json", "logs-other/x", "logsx", "top"} {
				put(t, s, k, k)
			}
			want := []string{"logs/a/1.json", "logs/a/2.json", "logs/b.json"}
			if got := keys(t, s, "logs/"); !slices.Equal(got, want) {
				t.Errorf("list logs/ = %v, want %v", got, want)
			}
			want = []string{"logs-other/x", "logs/a/1.json", "logs/a/2.json", "logs/b.json", "logsx"}
			if got := keys(t, s, "logs"); !slices.Equal(got, want) {
				t.Errorf("list logs = %v, want %v", got, want)
			}
			if got := keys(t, s, ""); len(got) != 6 {
				t.Errorf("list all = %v", got)
			}
			var sizes []int64
			_ = s.List(ctx, "logs/a/", func(o storage.ObjectInfo) error { sizes = append(sizes, o.Size); return nil })
			if !slices.Equal(sizes, []int64{13, 13}) {
				t.Errorf("sizes = %v", sizes)
			}
		}},
		{Name: "ListStopsOnError", Test: func(t testing.TB, s Store) {
			for i := range 5 {
				put(t, s, fmt.Sprintf("p/%d", i), "x")
			}
			stop := errors.New("stop")
			n := 0
			err := s.List(ctx, "p/", func(storage.ObjectInfo) error { n++; return stop })
			if !errors.Is(err, stop) || n != 1 {
				t.Errorf("list returned %v after %d calls, want stop after 1", err, n)
			}
		}},
		{Name: "Delete", Test: func(t testing.TB, s Store) {
			put(t, s, "d/x", "1")
			put(t, s, "d/y", "2")
			if err := s.Delete(ctx, "d/x"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, "d/"); !slices.Equal(got, []string{"d/y"}) {
				t.Errorf("after delete: %v", got)
			}
		}},
		{Name: "ConditionalPut", Test: func(t testing.TB, s Store) {
			create := storage.PutOptions{IfNoneMatch: true}
			first, err := s.Put(ctx, "m", strings.NewReader("v1"), 2, create)
			if err != nil {
				t.Fatalf("create-if-absent on empty key: %v", err)
			}
			if _, err := s.Put(ctx, "m", strings.NewReader("v2"), 2, create); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("create-if-absent over existing: %v, want ErrPrecondition", err)
			}
			second, err := s.Put(ctx, "m", strings.NewReader("v2"), 2, storage.PutOptions{IfMatch: first.ETag})
			if err != nil {
				t.Fatalf("if-match current etag: %v", err)
			}
			if _, err := s.Put(ctx, "m", strings.NewReader("v3"), 2, storage.PutOptions{IfMatch: first.ETag}); !errors.Is(err, storage.ErrPrecondition) {
				t.Fatalf("if-match stale etag: %v, want ErrPrecondition", err)
			}
			if got := read(t, s, "m", 0); got != "v2" {
				t.Errorf("content = %q, want v2", got)
			}
			if _, err := s.Put(ctx, "m", strings.NewReader("v4"), 2, storage.PutOptions{IfMatch: second.ETag}); err != nil {
				t.Errorf("if-match second etag: %v", err)
			}
		}},
		{Name: "ListedRead", Test: func(t testing.TB, s Store) {
			listed := func(key string) storage.ObjectInfo {
				t.Helper()
				var found *storage.ObjectInfo
				if err := s.List(ctx, key, func(o storage.ObjectInfo) error {
					if o.Key == key {
						found = &o
					}
					return nil
				}); err != nil || found == nil {
					t.Fatalf("list %s: %v, found %v", key, err, found)
				}
				return *found
			}
			readListed := func(info storage.ObjectInfo, off, end int64) (string, error) {
				t.Helper()
				rc, err := s.OpenListed(ctx, info, off, end)
				if err != nil {
					return "", err
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				return string(b), err
			}
			put(t, s, "v", "hello world")
			put(t, s, "empty", "")
			v1 := listed("v")
			for _, c := range []struct {
				off, end int64
				want     string
			}{{0, -1, "hello world"}, {6, -1, "world"}, {2, 5, "llo"}, {6, 100, "world"}, {11, -1, ""}, {3, 3, ""}} {
				if got, err := readListed(v1, c.off, c.end); err != nil || got != c.want {
					t.Errorf("read listed [%d, %d) = %q, %v; want %q", c.off, c.end, got, err, c.want)
				}
			}
			if got, err := readListed(listed("empty"), 0, -1); err != nil || got != "" {
				t.Errorf("read listed empty object = %q, %v", got, err)
			}
			// Replaced by bytes of the same size, or by more: the listed
			// version is gone, and nothing of the new one is read.
			for _, body := range []string{"HELLO WORLD", "hello world, again"} {
				put(t, s, "v", body)
				for _, off := range []int64{0, 6, 11} {
					if got, err := readListed(v1, off, -1); !errors.Is(err, storage.ErrPrecondition) || !strings.Contains(err.Error(), "v") {
						t.Errorf("read listed from %d after replacing it with %q = %q, %v; want ErrPrecondition naming it", off, body, got, err)
					}
				}
			}
			if got, err := readListed(listed("v"), 0, -1); err != nil || got != "hello world, again" {
				t.Errorf("read the new listing = %q, %v", got, err)
			}
			v3 := listed("v")
			if err := s.Delete(ctx, "v"); err != nil {
				t.Fatal(err)
			}
			if _, err := readListed(v3, 0, -1); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("read listed after delete: %v, want ErrNotExist", err)
			}
		}},
		// A write that does not end well leaves nothing: the context
		// cancelled mid-stream or before it, the reader failing, fewer
		// bytes than announced or more (which would otherwise be cut
		// silently). Whatever was under the key before stays, whole.
		{Name: "FailedPutLeavesNothing", Test: func(t testing.TB, s Store) {
			body := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
			for _, c := range failedWrites(len(body)) {
				for _, before := range []string{"", "the old object"} {
					key := "w/" + c.name + "/x"
					if before != "" {
						key = "w/" + c.name + "/replaced"
						put(t, s, key, before)
					}
					cctx, cancel := context.WithCancel(ctx)
					r := c.reader(body, cancel)
					if c.cancelFirst {
						cancel()
					}
					_, err := s.Put(cctx, key, r, c.size, storage.PutOptions{})
					cancel()
					if err == nil {
						t.Errorf("put with %s succeeded", c.name)
					} else if c.want != nil && !errors.Is(err, c.want) {
						t.Errorf("put with %s: %v, want %v", c.name, err, c.want)
					}
					checkUnchanged(t, s, key, before, "put with "+c.name)
					if got := keys(t, s, "w/"+c.name+"/"); len(got) != map[bool]int{false: 0, true: 1}[before != ""] {
						t.Errorf("after put with %s, list shows %v", c.name, got)
					}
					// Conditional writes fail the same way.
					cctx, cancel = context.WithCancel(ctx)
					r = c.reader(body, cancel)
					if c.cancelFirst {
						cancel()
					}
					_, err = s.Put(cctx, key+".new", r, c.size, storage.PutOptions{IfNoneMatch: true})
					cancel()
					if err == nil {
						t.Errorf("create-if-absent with %s succeeded", c.name)
					}
					checkUnchanged(t, s, key+".new", "", "create-if-absent with "+c.name)
				}
			}
		}},
		{Name: "FailedUploadLeavesNothing", Test: func(t testing.TB, s Store) {
			body := strings.Repeat("0123456789abcdef", 64<<10)
			for _, c := range failedWrites(len(body)) {
				if c.size < 0 {
					// Complete needs the size: refused up front.
					c.want = storage.ErrSize
				}
				key := "u/" + c.name
				u, err := s.Begin(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				cctx, cancel := context.WithCancel(ctx)
				r := c.reader(body, cancel)
				if c.cancelFirst {
					cancel()
				}
				_, err = s.Complete(cctx, u, r, c.size)
				cancel()
				if err == nil {
					t.Errorf("complete with %s succeeded", c.name)
				} else if c.want != nil && !errors.Is(err, c.want) {
					t.Errorf("complete with %s: %v, want %v", c.name, err, c.want)
				}
				checkUnchanged(t, s, key, "", "complete with "+c.name)
				if err := s.Abort(ctx, u); err != nil {
					t.Errorf("abort after a failed complete: %v", err)
				}
			}
			if got := keys(t, s, ""); len(got) != 0 {
				t.Errorf("failed uploads left %v", got)
			}
		}},
		// Reads at or past the end of an object are empty, not errors:
		// a stream resumed after its last byte reads nothing more.
		{Name: "ReadPastEnd", Test: func(t testing.TB, s Store) {
			put(t, s, "r", "hello")
			put(t, s, "empty", "")
			for _, c := range []struct {
				key  string
				off  int64
				want string
			}{{"r", 0, "hello"}, {"r", 4, "o"}, {"r", 5, ""}, {"r", 6, ""}, {"r", 1 << 20, ""}, {"empty", 0, ""}, {"empty", 1, ""}} {
				if got := read(t, s, c.key, c.off); got != c.want {
					t.Errorf("read %s from %d = %q, want %q", c.key, c.off, got, c.want)
				}
			}
			info, err := s.Stat(ctx, "r")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ off, end int64 }{{5, -1}, {6, -1}, {6, 9}, {4, 2}, {5, 5}, {9, 3}} {
				rc, err := s.OpenListed(ctx, info, c.off, c.end)
				if err != nil {
					t.Errorf("read listed [%d, %d): %v", c.off, c.end, err)
					continue
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || len(b) != 0 {
					t.Errorf("read listed [%d, %d) = %q, %v; want nothing", c.off, c.end, b, err)
				}
			}
			if _, err := s.Open(ctx, "missing", 5); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("open missing at 5: %v, want ErrNotExist", err)
			}
		}},
		// ListDirs names each folder directly under a prefix that holds
		// an object, once, in order; a write not yet complete (a begun
		// upload) holds none.
		{Name: "ListDirs", Test: func(t testing.TB, s Store) {
			dl, ok := s.(storage.DirLister)
			if !ok {
				t.Skip("the store cannot list folders")
			}
			dirs := func(prefix string) []string {
				t.Helper()
				var got []string
				if err := dl.ListDirs(ctx, prefix, func(d string) error { got = append(got, d); return nil }); err != nil {
					t.Fatalf("list folders %q: %v", prefix, err)
				}
				return got
			}
			for _, k := range []string{"d/a/1", "d/a/2", "d/b/x/y", "d/c", "d/e.txt", "d/b c/z", "d/é/z", "top"} {
				put(t, s, k, k)
			}
			u, err := s.Begin(ctx, "d/pending/k")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Abort(ctx, u)
			for _, c := range []struct {
				prefix string
				want   []string
			}{
				{"", []string{"d/"}},
				{"d/", []string{"d/a/", "d/b c/", "d/b/", "d/é/"}},
				{"d/b/", []string{"d/b/x/"}},
				{"d/a/", nil},
				{"nothing/", nil},
			} {
				if got := dirs(c.prefix); !slices.Equal(got, c.want) {
					t.Errorf("list folders %q = %q, want %q", c.prefix, got, c.want)
				}
			}
			for _, k := range []string{"d/a/1", "d/a/2"} {
				if err := s.Delete(ctx, k); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := dirs("d/"), []string{"d/b c/", "d/b/", "d/é/"}; !slices.Equal(got, want) {
				t.Errorf("after emptying d/a/, list folders d/ = %q, want %q", got, want)
			}
			stop := errors.New("stop")
			n := 0
			if err := dl.ListDirs(ctx, "d/", func(string) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
				t.Errorf("list folders returned %v after %d calls, want stop after 1", err, n)
			}
			if err := dl.ListDirs(ctx, "d", func(string) error { return nil }); !errors.Is(err, storage.ErrInvalidKey) {
				t.Errorf("list folders of a prefix without its slash: %v, want ErrInvalidKey", err)
			}
		}},
		// Conditional writes: a condition that does not hold fails with
		// ErrPrecondition and changes nothing, whatever the key holds;
		// of writers racing to create a key, exactly one wins.
		{Name: "ConditionalPutFailures", Test: func(t testing.TB, s Store) {
			cond := func(key, body string, opts storage.PutOptions) (storage.ObjectInfo, error) {
				return s.Put(ctx, key, strings.NewReader(body), int64(len(body)), opts)
			}
			if _, err := cond("c/missing", "x", storage.PutOptions{IfMatch: "some-etag"}); !errors.Is(err, storage.ErrPrecondition) {
				t.Errorf("if-match on a missing key: %v, want ErrPrecondition", err)
			}
			checkUnchanged(t, s, "c/missing", "", "if-match on a missing key")
			v1 := put(t, s, "c/k", "v1")
			for _, etag := range []string{"nonsense", `"` + v1.ETag + `"x`, strings.ToUpper(v1.ETag) + "0"} {
				if _, err := cond("c/k", "bad", storage.PutOptions{IfMatch: etag}); !errors.Is(err, storage.ErrPrecondition) {
					t.Errorf("if-match %q: %v, want ErrPrecondition", etag, err)
				}
			}
			checkUnchanged(t, s, "c/k", "v1", "failed if-match")
			if err := s.Delete(ctx, "c/k"); err != nil {
				t.Fatal(err)
			}
			if _, err := cond("c/k", "v2", storage.PutOptions{IfMatch: v1.ETag}); !errors.Is(err, storage.ErrPrecondition) {
				t.Errorf("if-match the etag of a deleted object: %v, want ErrPrecondition", err)
			}
			if _, err := cond("c/k", "v3", storage.PutOptions{IfNoneMatch: true}); err != nil {
				t.Errorf("create-if-absent after delete: %v", err)
			}
			checkUnchanged(t, s, "c/k", "v3", "create-if-absent after delete")
			const racers = CreateRacers
			var wins, lost atomic.Int32
			var wg sync.WaitGroup
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := cond("c/race", fmt.Sprintf("racer %d", i), storage.PutOptions{IfNoneMatch: true})
					switch {
					case err == nil:
						wins.Add(1)
					case errors.Is(err, storage.ErrPrecondition):
						lost.Add(1)
					default:
						t.Errorf("racer %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 || lost.Load() != racers-1 {
				t.Errorf("%d of %d racers created the key and %d lost, want 1 and %d", wins.Load(), racers, lost.Load(), racers-1)
			}
		}},
		// Not found is told apart from every other failure, on every
		// method, for a key never written, one that names a folder and
		// one under an object.
		{Name: "NotFoundDistinguished", Test: func(t testing.TB, s Store) {
			put(t, s, "n/dir/obj", "x")
			put(t, s, "n/file", "y")
			for _, key := range []string{"n/never", "n/dir", "n/file/below", "n/dir/obj/below", "n/di"} {
				if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotExist) {
					t.Errorf("stat %s: %v, want ErrNotExist", key, err)
				}
				if rc, err := s.Open(ctx, key, 0); !errors.Is(err, storage.ErrNotExist) {
					t.Errorf("open %s: %v, want ErrNotExist", key, err)
					if err == nil {
						rc.Close()
					}
				}
				if rc, err := s.OpenListed(ctx, storage.ObjectInfo{Key: key, Size: 1, ETag: "e"}, 0, -1); !errors.Is(err, storage.ErrNotExist) {
					t.Errorf("open listed %s: %v, want ErrNotExist", key, err)
					if err == nil {
						rc.Close()
					}
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Errorf("delete %s: %v, want nil", key, err)
				}
			}
			if got := keys(t, s, "n/"); !slices.Equal(got, []string{"n/dir/obj", "n/file"}) {
				t.Errorf("after deleting missing keys, list = %v", got)
			}
			if err := s.Delete(ctx, "n/dir/obj"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "n/dir/obj"); err != nil {
				t.Errorf("delete twice: %v", err)
			}
			if _, err := s.Stat(ctx, "n/dir/obj"); !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("stat deleted: %v, want ErrNotExist", err)
			}
		}},
		// Keys up to 1024 bytes (S3's limit) of segments up to 255 bytes
		// (most file systems' limit) are stored as any other. A key a
		// backend cannot store is refused with a permanent sentinel on
		// every method, never a bare error a retry would repeat, and is
		// never stored under another name.
		{Name: "LongKeys", Test: func(t testing.TB, s Store) {
			seg := strings.Repeat("s", 200)
			long := "l/" + seg + "/" + seg + "/" + seg + "/" + seg + "/" + seg
			long += strings.Repeat("z", 1024-len(long))
			put(t, s, long, "long")
			if got := read(t, s, long, 0); got != "long" {
				t.Errorf("read the 1024-byte key = %q", got)
			}
			if got := keys(t, s, "l/"); !slices.Equal(got, []string{long}) {
				t.Errorf("list of the 1024-byte key = %d keys", len(got))
			}
			if err := s.Delete(ctx, long); err != nil {
				t.Errorf("delete the 1024-byte key: %v", err)
			}
			for _, key := range []string{long + "z", "l/" + strings.Repeat("y", 300) + "/k", strings.Repeat("a/", 600) + "k"} {
				refusedOrKept(t, s, key)
			}
		}},
		// Keys are bytes: no byte is decoded, trimmed or folded, so keys
		// that a URL or a file system might take for one another are
		// distinct objects, each read back under its own name.
		{Name: "OddKeysDistinct", Test: func(t testing.TB, s Store) {
			odd := []string{
				"o/a b", "o/a%20b", "o/a+b", "o/a%2Fb", "o/a#b", "o/a?b=c&d", "o/a;b", "o/a:b", "o/a=b",
				"o/.lead", "o/trail.", "o/..two", "o/two..", "o/.x./y", "o/seg./z", "o/~t", "o/a'b", "o/a\"b",
				"o/ünïcödé", "o/u\u0308nicode", "o/日本/語", "o/🙂", "o/A", "o/a", "o/a b ", "o/ a",
			}
			for _, k := range odd {
				put(t, s, k, "body of "+k)
			}
			want := slices.Clone(odd)
			slices.Sort(want)
			if got := keys(t, s, "o/"); !slices.Equal(got, want) {
				t.Errorf("list = %q,\nwant %q", got, want)
			}
			for _, k := range odd {
				if got := read(t, s, k, 0); got != "body of "+k {
					t.Errorf("read %q = %q", k, got)
				}
				if st, err := s.Stat(ctx, k); err != nil || st.Key != k {
					t.Errorf("stat %q = %q, %v", k, st.Key, err)
				}
			}
			for _, k := range odd {
				if err := s.Delete(ctx, k); err != nil {
					t.Errorf("delete %q: %v", k, err)
				}
			}
			if got := keys(t, s, "o/"); len(got) != 0 {
				t.Errorf("after deleting every key, list = %q", got)
			}
			// Keys some backend refuses: each is refused with a
			// permanent sentinel or kept byte for byte.
			for _, k := range []string{"", "/lead", "o//x", "o/./x", "o/../x", "../x", "o/x/", "./x", ".", "o/\x00", "o/\tcontrol", "o/back\\slash", "o/\xff"} {
				refusedOrKept(t, s, k)
			}
		}},
		{Name: "OddKeys", Test: func(t testing.TB, s Store) {
			for _, k := range []string{"with space/file name.json", "ünïcödé/日本.json", "a/b..c/d"} {
				put(t, s, k, k)
				if got := read(t, s, k, 0); got != k {
					t.Errorf("read %q = %q", k, got)
				}
			}
		}},
	}
}

// failedWrite is a write that cannot end well.
type failedWrite struct {
	name        string
	size        int64
	cancelFirst bool
	// want, when set, is the sentinel of the write's error.
	want error
	// reader returns the body's reader; cancel cancels the write's context.
	reader func(body string, cancel context.CancelFunc) io.Reader
}

// errReader is the error of a reader that fails mid-stream.
var errReader = errors.New("the reader failed")

func failedWrites(n int) []failedWrite {
	half := func(body string) (string, string) { return body[:len(body)/2], body[len(body)/2:] }
	return []failedWrite{
		{name: "cancelled-mid-stream", want: context.Canceled, size: int64(n), reader: func(body string, cancel context.CancelFunc) io.Reader {
			a, b := half(body)
			return io.MultiReader(strings.NewReader(a), &onRead{func() { cancel() }}, strings.NewReader(b))
		}},
		{name: "cancelled-mid-stream-unknown-size", want: context.Canceled, size: -1, reader: func(body string, cancel context.CancelFunc) io.Reader {
			a, b := half(body)
			return io.MultiReader(strings.NewReader(a), &onRead{func() { cancel() }}, strings.NewReader(b))
		}},
		{name: "cancelled-before", want: context.Canceled, size: int64(n), cancelFirst: true, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "reader-error", want: errReader, size: int64(n), reader: func(body string, _ context.CancelFunc) io.Reader {
			a, _ := half(body)
			return io.MultiReader(strings.NewReader(a), iotestErr{})
		}},
		{name: "reader-error-unknown-size", want: errReader, size: -1, reader: func(body string, _ context.CancelFunc) io.Reader {
			a, _ := half(body)
			return io.MultiReader(strings.NewReader(a), iotestErr{})
		}},
		{name: "short-body", want: storage.ErrSize, size: int64(n) + 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "long-body", want: storage.ErrSize, size: int64(n) - 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return strings.NewReader(body)
		}},
		{name: "one-byte-long", want: storage.ErrSize, size: 0, reader: func(string, context.CancelFunc) io.Reader {
			return strings.NewReader("x")
		}},
		// The same, from streams that cannot say their length up front.
		{name: "short-stream", want: storage.ErrSize, size: int64(n) + 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader(body)}
		}},
		{name: "long-stream", want: storage.ErrSize, size: int64(n) - 1, reader: func(body string, _ context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader(body)}
		}},
		{name: "one-byte-long-stream", want: storage.ErrSize, size: 0, reader: func(string, context.CancelFunc) io.Reader {
			return struct{ io.Reader }{strings.NewReader("x")}
		}},
	}
}

// onRead calls fn on its first read and then reads nothing, so a
// MultiReader moves on.
type onRead struct{ fn func() }

func (o *onRead) Read([]byte) (int, error) {
	if o.fn != nil {
		o.fn()
		o.fn = nil
	}
	return 0, io.EOF
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errReader }

// checkUnchanged fails t unless key holds before (nothing when before is
// empty), whole, after what.
func checkUnchanged(t testing.TB, s Store, key, before, what string) {
	t.Helper()
	ctx := context.Background()
	st, err := s.Stat(ctx, key)
	if before == "" {
		if !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("after %s, %s is there: size %d, %v", what, key, st.Size, err)
		}
		return
	}
	if err != nil {
		t.Errorf("after %s, stat %s: %v", what, key, err)
		return
	}
	rc, err := s.Open(ctx, key, 0)
	if err != nil {
		t.Errorf("after %s, open %s: %v", what, key, err)
		return
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || string(b) != before || st.Size != int64(len(before)) {
		t.Errorf("after %s, %s holds %d bytes (size %d), %v; want %q", what, key, len(b), st.Size, err, before)
	}
}

// permanent reports whether err is one of the storage sentinels a retry
// cannot help.
func permanent(err error) bool {
	return errors.Is(err, storage.ErrInvalidKey) || errors.Is(err, storage.ErrPermission) ||
		errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPrecondition)
}

// refusedOrKept fails t unless the store either refuses key on every
// method with a permanent sentinel, or stores it byte for byte under that
// name and no other.
func refusedOrKept(t testing.TB, s Store, key string) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("%.80q", key)
	_, perr := s.Put(ctx, key, strings.NewReader("k"), 1, storage.PutOptions{})
	if perr != nil {
		if !errors.Is(perr, storage.ErrInvalidKey) && !errors.Is(perr, storage.ErrPermission) {
			t.Errorf("put %s: %v, want ErrInvalidKey or ErrPermission", name, perr)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) && !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("stat refused %s: %v, want ErrInvalidKey or ErrNotExist", name, err)
		}
		if rc, err := s.Open(ctx, key, 0); !errors.Is(err, storage.ErrInvalidKey) && !errors.Is(err, storage.ErrNotExist) {
			t.Errorf("open refused %s: %v, want ErrInvalidKey or ErrNotExist", name, err)
			if err == nil {
				rc.Close()
			}
		}
		if err := s.Delete(ctx, key); err != nil && !permanent(err) {
			t.Errorf("delete refused %s: %v, want nil or a sentinel", name, err)
		}
		var listed []string
		_ = s.List(ctx, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Key); return nil })
		if len(listed) != 0 {
			t.Errorf("refused put %s left %q", name, listed)
		}
		return
	}
	var listed []string
	if err := s.List(ctx, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Key); return nil }); err != nil {
		t.Errorf("list after put %s: %v", name, err)
	}
	if !slices.Equal(listed, []string{key}) {
		t.Errorf("put %s lists as %q", name, listed)
	}
	if st, err := s.Stat(ctx, key); err != nil || st.Key != key || st.Size != 1 {
		t.Errorf("stat kept %s = %+v, %v", name, st, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("delete kept %s: %v", name, err)
	}
	if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("stat deleted %s: %v, want ErrNotExist", name, err)
	}
}
