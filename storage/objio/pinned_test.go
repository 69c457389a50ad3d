package objio_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// change is another process changing the object "k" behind a reader.
type change struct {
	name string
	do   func(t *testing.T)
	want error // what reading the listed version then fails with
}

// pinBackend is a store under test and the ways its object can change.
type pinBackend struct {
	name    string
	store   func(t *testing.T) (storagetest.Store, []change)
	growing bool // a file can grow under an open reader (a local file)
}

const (
	v1 = "0123456789abcdefghijklmnopqrstuvwxyz\n"
	v2 = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210\n" // same size, other bytes
)

func pinBackends() []pinBackend {
	return []pinBackend{
		{name: "local", growing: true, store: func(t *testing.T) (storagetest.Store, []change) {
			dir := t.TempDir()
			l, err := storage.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			file := filepath.Join(dir, "k")
			return l, []change{
				{"rename-replace", func(t *testing.T) {
					tmp := filepath.Join(dir, "new")
					must(t, os.WriteFile(tmp, []byte(v2), 0o644))
					st, _ := os.Stat(file)
					must(t, os.Chtimes(tmp, st.ModTime(), st.ModTime())) // only the inode tells
					must(t, os.Rename(tmp, file))
				}, storage.ErrPrecondition},
				{"rewrite-in-place", func(t *testing.T) {
					st, _ := os.Stat(file)
					f, err := os.OpenFile(file, os.O_WRONLY, 0)
					must(t, err)
					_, err = f.WriteAt([]byte(v2), 0)
					must(t, err)
					must(t, f.Close())
					// The kernel sets the time, but may set the same one
					// within its clock's tick: move it on, as time does.
					must(t, os.Chtimes(file, st.ModTime().Add(time.Second), st.ModTime().Add(time.Second)))
				}, storage.ErrPrecondition},
				{"append", func(t *testing.T) {
					f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
					must(t, err)
					_, err = f.WriteString(v2)
					must(t, err)
					must(t, f.Close())
				}, storage.ErrPrecondition},
				{"truncate", func(t *testing.T) { must(t, os.Truncate(file, 5)) }, storage.ErrPrecondition},
				{"delete", func(t *testing.T) { must(t, os.Remove(file)) }, storage.ErrNotExist},
			}
		}},
		{name: "minio", store: func(t *testing.T) (storagetest.Store, []change) {
			s, _ := storagetest.NewBucket(t)
			put := func(body string) func(t *testing.T) {
				return func(t *testing.T) {
					if _, err := s.Put(context.Background(), "k", strings.NewReader(body), int64(len(body)), storage.PutOptions{}); err != nil {
						t.Fatal(err)
					}
				}
			}
			return s, []change{
				{"replace", put(v2), storage.ErrPrecondition},
				{"replace-longer", put(v2 + v2), storage.ErrPrecondition},
				{"delete", func(t *testing.T) { must(t, s.Delete(context.Background(), "k")) }, storage.ErrNotExist},
			}
		}},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Every read of a Stream — the first, one from an offset (a byte range of
// a split object, a header), and the one resuming after a dropped
// connection — reads the object as it was listed, or fails naming the
// change: an object changed by another process at that very point is
// never read in its new version, nor past its listed size. The change is
// made between the stream's decision to open and the open itself, where a
// check made before opening cannot see it.
func TestStreamReadsOnlyTheListedVersion(t *testing.T) {
	ctx := context.Background()
	kinds := []struct {
		name  string
		off   int64
		cut   int // opens cut after cutAt bytes
		cutAt int64
		at    int // the open the change comes before
	}{
		{name: "first", off: 0, at: 1},
		{name: "ranged", off: 7, at: 1},
		{name: "resumed", off: 0, cut: 1, cutAt: 10, at: 2},
		{name: "resumed-ranged", off: 7, cut: 1, cutAt: 10, at: 2},
	}
	for _, be := range pinBackends() {
		t.Run(be.name, func(t *testing.T) {
			if be.name == "minio" {
				storagetest.S3Config(t)
			}
			for _, k := range kinds {
				_, changes := be.store(t)
				for ci := range changes {
					t.Run(k.name+"/"+changes[ci].name, func(t *testing.T) {
						s, changes := be.store(t)
						ch := changes[ci]
						info, err := s.Put(ctx, "k", strings.NewReader(v1), int64(len(v1)), storage.PutOptions{})
						must(t, err)
						listed := listOne(t, s, info)
						h := &storagetest.Hooked{Store: s, Cut: k.cut, CutAfter: k.cutAt, Before: func(n int) {
							if n == k.at {
								ch.do(t)
							}
						}}
						b := objio.New(h, objio.Policy{Deadline: 10 * time.Second})
						r := b.Stream(ctx, listed, k.off)
						got, err := io.ReadAll(r)
						r.Close()
						if !errors.Is(err, ch.want) {
							t.Errorf("read after %s before open %d: %v (got %q), want %v", ch.name, k.at, err, got, ch.want)
						}
						if !strings.HasPrefix(v1[k.off:], string(got)) {
							t.Errorf("read %q, not the listed version's bytes from %d", got, k.off)
						}
						if err != nil && !strings.Contains(err.Error(), "k") {
							t.Errorf("error %q does not name the object", err)
						}
					})
				}
			}
		})
	}
}

// A file that grows while it is read is read up to its listed size, whole
// and without error: the bytes appended after the listing are not the
// listed version's.
func TestStreamStopsAtListedSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := storage.NewLocal(dir)
	must(t, err)
	defer l.Close()
	info, err := l.Put(ctx, "k", strings.NewReader(v1), int64(len(v1)), storage.PutOptions{})
	must(t, err)
	listed := listOne(t, l, info)
	for _, off := range []int64{0, 7} {
		r := objio.New(l, objio.Policy{}).Stream(ctx, listed, off)
		head := make([]byte, 3)
		if _, err := io.ReadFull(r, head); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "k"), os.O_WRONLY|os.O_APPEND, 0)
		must(t, err)
		_, err = f.WriteString(v2)
		must(t, err)
		must(t, f.Close())
		rest, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("read from %d: %v", off, err)
		}
		if got := string(head) + string(rest); got != v1[off:] {
			t.Errorf("read from %d: %q, want the listed %q", off, got, v1[off:])
		}
		must(t, os.Truncate(filepath.Join(dir, "k"), int64(len(v1))))
		must(t, os.Chtimes(filepath.Join(dir, "k"), listed.Modified, listed.Modified))
	}
}

// listOne returns the listing's entry for the object put as info.
func listOne(t *testing.T, s storagetest.Store, info storage.ObjectInfo) storage.ObjectInfo {
	t.Helper()
	var got []storage.ObjectInfo
	must(t, s.List(context.Background(), "", func(o storage.ObjectInfo) error {
		got = append(got, o)
		return nil
	}))
	if len(got) != 1 || got[0].Key != info.Key || got[0].Size != info.Size {
		t.Fatalf("listing = %+v, want %s", got, info.Key)
	}
	return got[0]
}
