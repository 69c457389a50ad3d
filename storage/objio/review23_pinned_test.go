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
)

// Review of issue 23, item 1: a local file rewritten in place (same inode,
// same size, another time) while it is being read — after the open that
// checked it, before the read reached its listed end — is the listed
// version no more than one rewritten before the open: the read fails
// with storage.ErrPrecondition instead of delivering the new bytes as the
// listed version's. (A file that only grew is read to its listed size, as
// TestStreamStopsAtListedSize says.)
func TestReview23RewrittenWhileRead(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		off     int64
		end     int64 // < 0: the listed size
		rewrite func(t *testing.T, file string, listed storage.ObjectInfo)
	}{
		{"whole", 0, -1, rewriteInPlace},
		{"from an offset", 7, -1, rewriteInPlace},
		{"a range", 7, 20, rewriteInPlace},
		{"truncated and rewritten to its size", 0, -1, func(t *testing.T, file string, listed storage.ObjectInfo) {
			must(t, os.WriteFile(file, []byte(v2), 0o644)) // O_TRUNC: the same inode
			must(t, os.Chtimes(file, listed.Modified.Add(time.Second), listed.Modified.Add(time.Second)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l, err := storage.NewLocal(dir)
			must(t, err)
			defer l.Close()
			info, err := l.Put(ctx, "k", strings.NewReader(v1), int64(len(v1)), storage.PutOptions{})
			must(t, err)
			listed := listOne(t, l, info)
			r := objio.New(l, objio.Policy{Deadline: 5 * time.Second}).StreamRange(ctx, listed, tc.off, tc.end)
			defer r.Close()
			head := make([]byte, 3)
			if _, err := io.ReadFull(r, head); err != nil {
				t.Fatal(err)
			}
			tc.rewrite(t, filepath.Join(dir, "k"), listed)
			rest, err := io.ReadAll(r)
			if !errors.Is(err, storage.ErrPrecondition) {
				t.Errorf("read %q then %q after the file was rewritten: %v, want %v", head, rest, err, storage.ErrPrecondition)
			}
		})
	}
}

func rewriteInPlace(t *testing.T, file string, listed storage.ObjectInfo) {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteAt([]byte(v2), 0)
	must(t, err)
	must(t, f.Close())
	// The kernel sets the time, but may set the same one within its
	// clock's tick: move it on, as time does.
	must(t, os.Chtimes(file, listed.Modified.Add(time.Second), listed.Modified.Add(time.Second)))
}
