package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// basicCases are what every store has always had to do: write, read,
// list, delete, condition a write, fence an upload, read a listed version.
func basicCases() []Case {
	ctx := context.Background()
	put := putString
	read := readString
	keys := listKeys
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
