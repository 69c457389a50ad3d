package storagetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// edgeCases check the edges of reads, folder listings, conditions and
// not-found.
func edgeCases() []Case {
	ctx := context.Background()
	put := putString
	read := readString
	keys := listKeys
	return []Case{
		// A key replaced while it is read (a manifest rewritten while a
		// reader reads it) reads as one whole version, old or new; a read
		// that cannot tell which fails with ErrPrecondition, a change the
		// caller may retry. Never a mix of versions, never not-found for
		// a key that always existed, never an error of no kind: a caller
		// deciding whether to retry must be able to tell.
		{Name: "ReadWhileReplaced", Test: func(t testing.TB, s Store) {
			version := func(i int) string { return strings.Repeat(fmt.Sprintf("<%06d>", i), 1+i%13) }
			const key, versions = "rw/x", 300
			put(t, s, key, version(0))
			whole := func(b string) bool {
				if len(b) < 8 {
					return false
				}
				var i int
				_, err := fmt.Sscanf(b[:8], "<%06d>", &i)
				return err == nil && b == version(i)
			}
			var done atomic.Bool
			var wg sync.WaitGroup
			var reads, changed atomic.Int64
			for r := range 2 {
				wg.Go(func() {
					for !done.Load() {
						var rc io.ReadCloser
						var err error
						if r == 0 {
							rc, err = s.Open(ctx, key, 0)
						} else {
							var info storage.ObjectInfo
							if info, err = s.Stat(ctx, key); err == nil {
								rc, err = s.OpenListed(ctx, info, 0, -1)
							}
						}
						var b []byte
						if err == nil {
							b, err = io.ReadAll(rc)
							rc.Close()
						}
						reads.Add(1)
						switch {
						case errors.Is(err, storage.ErrPrecondition):
							changed.Add(1)
						case err != nil:
							t.Errorf("read %s while it is replaced (reader %d): %v, want a whole version or ErrPrecondition", key, r, err)
							return
						case !whole(string(b)):
							t.Errorf("read %s while it is replaced (reader %d): %d bytes starting %.20q: no one version", key, r, len(b), b)
							return
						}
					}
				})
			}
			for i := 1; i <= versions; i++ {
				put(t, s, key, version(i))
			}
			done.Store(true)
			wg.Wait()
			t.Logf("%d reads while %s was replaced %d times, %d failed as changed", reads.Load(), key, versions, changed.Load())
			_ = s.Delete(ctx, key)
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
		// A prefix under which nothing is stored lists nothing, without
		// an error, also when it runs through an object's key ("f/"
		// under the object "f"), as on S3, where that is a prefix like
		// any other.
		{Name: "ListUnderAnObject", Test: func(t testing.TB, s Store) {
			put(t, s, "lu/f", "x")
			for _, prefix := range []string{"lu/f/", "lu/f/g", "lu/f/g/"} {
				var got []string
				if err := s.List(ctx, prefix, func(o storage.ObjectInfo) error { got = append(got, o.Key); return nil }); err != nil || len(got) != 0 {
					t.Errorf("list %q = %v, %v; want nothing, no error", prefix, got, err)
				}
			}
			dl, ok := s.(storage.DirLister)
			for _, prefix := range []string{"lu/f/", "lu/f/g/"} {
				if !ok {
					break
				}
				var got []string
				if err := dl.ListDirs(ctx, prefix, func(d string) error { got = append(got, d); return nil }); err != nil || len(got) != 0 {
					t.Errorf("list folders %q = %v, %v; want nothing, no error", prefix, got, err)
				}
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
	}
}
