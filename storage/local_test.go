package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The local backend must never read or write outside its root, whatever the key.
func TestLocalStaysInsideRoot(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	secret := filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secret, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A symlink inside the root pointing out of it must not be followed.
	if err := os.Symlink(parent, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../secret.txt", "a/../../secret.txt", "/etc/passwd", "./x", "a//b", "link/secret.txt", "", "a/"} {
		if _, err := l.Open(ctx, key, 0); err == nil {
			t.Errorf("open %q succeeded", key)
		}
		if _, err := l.Put(ctx, key, strings.NewReader("x"), 1, PutOptions{}); err == nil {
			t.Errorf("put %q succeeded", key)
		}
		if _, err := l.Stat(ctx, key); err == nil {
			t.Errorf("stat %q succeeded", key)
		}
	}
	if _, err := l.Open(ctx, "../secret.txt", 0); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("open ../secret.txt: %v, want ErrInvalidKey", err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "outside" {
		t.Errorf("file outside root changed: %q", b)
	}
}

func TestLocalListHidesTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(dir, tmpPrefix+"abc"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l.List(ctx, "", func(ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("listed %d objects, want 0 (temp files are not objects)", n)
	}
}

// Issue 13 item 6: a listing never skips, and never follows, an entry that
// is not a regular file or a folder. Whatever it is and wherever it points,
// the listing of any prefix it falls under fails with ErrNotRegular naming
// it, and hands out no object; prefixes it is not under still list.
func TestLocalListRefusesNonRegular(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		make func(t *testing.T, root, parent string) error
	}{
		{"symlink to a file", func(t *testing.T, root, _ string) error {
			return os.Symlink("x.jsonl", filepath.Join(root, "a", "odd"))
		}},
		{"symlink to a folder", func(t *testing.T, root, _ string) error {
			return os.Symlink("sub", filepath.Join(root, "a", "odd"))
		}},
		{"dangling symlink", func(t *testing.T, root, _ string) error {
			return os.Symlink("nowhere", filepath.Join(root, "a", "odd"))
		}},
		{"symlink out of the root", func(t *testing.T, root, parent string) error {
			return os.Symlink(filepath.Join(parent, "secret.jsonl"), filepath.Join(root, "a", "odd"))
		}},
		{"symlink to a folder out of the root", func(t *testing.T, root, parent string) error {
			return os.Symlink(parent, filepath.Join(root, "a", "odd"))
		}},
		{"named pipe", func(t *testing.T, root, _ string) error {
			return syscall.Mkfifo(filepath.Join(root, "a", "odd"), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			root := filepath.Join(parent, "root")
			for _, f := range []string{"root/a/x.jsonl", "root/a/sub/y.jsonl", "root/b/z.jsonl", "secret.jsonl"} {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(parent, f)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(parent, f), []byte("{}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.make(t, root, parent); err != nil {
				t.Fatal(err)
			}
			l, err := NewLocal(root)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for _, prefix := range []string{"", "a", "a/", "a/o", "a/odd"} {
				var got []string
				err := l.List(ctx, prefix, func(o ObjectInfo) error { got = append(got, o.Key); return nil })
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), `"a/odd"`) {
					t.Errorf("list %q: %v; want ErrNotRegular naming a/odd", prefix, err)
				}
				if len(got) != 0 {
					t.Errorf("list %q handed out %v before failing", prefix, got)
				}
			}
			for prefix, want := range map[string]int{"b/": 1, "a/x": 1, "a/sub/": 1} {
				n := 0
				if err := l.List(ctx, prefix, func(ObjectInfo) error { n++; return nil }); err != nil || n != want {
					t.Errorf("list %q: %d objects, %v; want %d", prefix, n, err, want)
				}
			}
		})
	}
}

// A prefix reached through a symlinked folder is refused too: WalkDir would
// follow it.
func TestLocalListRefusesSymlinkOnThePath(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "real", "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "real", "d", "x.jsonl"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, prefix := range []string{"alias/", "alias/d/", "alias/d/x"} {
		err := l.List(ctx, prefix, func(ObjectInfo) error { return nil })
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), `"alias"`) {
			t.Errorf("list %q: %v; want ErrNotRegular naming alias", prefix, err)
		}
	}
	n := 0
	if err := l.List(ctx, "real/", func(ObjectInfo) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("list real/: %d, %v", n, err)
	}
}

// Issue 13 item 7: a local store that cannot be created or written fails
// with ErrPermission whatever the reason, and opening to read creates
// nothing.
func TestLocalCannotCreateOrWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, filepath.Join(file, "out")} {
		if _, err := NewLocal(p); !errors.Is(err, ErrPermission) {
			t.Errorf("NewLocal(%s): %v, want ErrPermission", p, err)
		}
	}
	l, err := NewLocal(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Put(ctx, "f", strings.NewReader("x"), 1, PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []PutOptions{{}, {IfNoneMatch: true}} {
		if _, err := l.Put(ctx, "f/x", strings.NewReader("x"), 1, opts); !errors.Is(err, ErrPermission) {
			t.Errorf("put under a file (%+v): %v, want ErrPermission", opts, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "store", "d", "e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, "d", strings.NewReader("x"), 1, PutOptions{}); !errors.Is(err, ErrPermission) {
		t.Errorf("put onto a folder: %v, want ErrPermission", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := OpenLocal(missing); !errors.Is(err, ErrNotExist) {
		t.Errorf("OpenLocal of a missing folder: %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenLocal created %s", missing)
	}
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EPERM, syscall.EROFS} {
		if err := translate(&fs.PathError{Op: "open", Path: "x", Err: errno}); !errors.Is(err, ErrPermission) {
			t.Errorf("translate(%v) = %v, want ErrPermission", errno, err)
		}
	}
}

// Creating the store or a file in it: every refusal of the file system is
// ErrPermission, the one outcome "cannot create or write the output"
// (exit 6); only errors that can pass by waiting are left to retry.
func TestTranslateWrite(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EPERM, syscall.EROFS, syscall.ENOENT,
		syscall.ENAMETOOLONG, syscall.ENOTDIR, syscall.EISDIR, syscall.EEXIST, syscall.ENOTEMPTY,
		syscall.ELOOP, syscall.EINVAL, syscall.EXDEV, syscall.EMLINK} {
		if err := translateWrite(&fs.PathError{Op: "mkdir", Path: "x", Err: errno}); !errors.Is(err, ErrPermission) {
			t.Errorf("translateWrite(%v) = %v, want ErrPermission", errno, err)
		}
	}
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.EMFILE, syscall.EINTR, syscall.ESTALE} {
		if err := translateWrite(&fs.PathError{Op: "mkdir", Path: "x", Err: errno}); errors.Is(err, ErrPermission) || errors.Is(err, ErrNotExist) {
			t.Errorf("translateWrite(%v) = %v, want it left to retry", errno, err)
		}
	}
	dir := t.TempDir()
	for _, p := range []string{filepath.Join(dir, strings.Repeat("n", 300)), filepath.Join(dir, strings.Repeat("p/", 2100))} {
		if _, err := NewLocal(p); !errors.Is(err, ErrPermission) {
			t.Errorf("NewLocal(%.40s...): %v, want ErrPermission", p, err)
		}
	}
	if _, err := os.Stat("/proc/sys"); err == nil {
		if _, err := NewLocal("/proc/sys/logsmith-x"); !errors.Is(err, ErrPermission) {
			t.Errorf("NewLocal(/proc/sys/logsmith-x): %v, want ErrPermission", err)
		}
	}
}

// A file replaced after the listing by a symlink (anywhere), a named pipe
// or a socket is refused by Stat and Open with ErrNotRegular, as the listing
// refuses them, and never read through: os.Root follows a symlink that
// stays inside the root and refuses one out of it ("path escapes from
// parent"), which used to be retried. A folder is no object.
func TestLocalStatOpenRefuseNonRegular(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	l, err := NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.WriteFile(filepath.Join(parent, "secret.jsonl"), []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, "a/real.jsonl", strings.NewReader("inside"), 6, PutOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		make func(p string) error
		want error
	}{
		{"symlink out of the root", func(p string) error { return os.Symlink(filepath.Join(parent, "secret.jsonl"), p) }, ErrNotRegular},
		{"relative symlink out of the root", func(p string) error { return os.Symlink("../../secret.jsonl", p) }, ErrNotRegular},
		{"symlink inside the root", func(p string) error { return os.Symlink("real.jsonl", p) }, ErrNotRegular},
		{"dangling symlink", func(p string) error { return os.Symlink("nowhere", p) }, ErrNotRegular},
		{"named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }, ErrNotRegular},
		{"folder", func(p string) error { return os.Mkdir(p, 0o755) }, ErrNotExist},
	} {
		p := filepath.Join(root, "a", "x.jsonl")
		if err := tc.make(p); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Stat(ctx, "a/x.jsonl"); !errors.Is(err, tc.want) {
			t.Errorf("%s: stat: %v, want %v", tc.name, err, tc.want)
		}
		if r, err := l.Open(ctx, "a/x.jsonl", 0); !errors.Is(err, tc.want) {
			t.Errorf("%s: open: %v, want %v", tc.name, err, tc.want)
			if r != nil {
				r.Close()
			}
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	// A folder on the way that is a symlink out of the root.
	if err := os.Symlink(parent, filepath.Join(root, "up")); err != nil {
		t.Fatal(err)
	}
	for _, op := range []func() error{
		func() error { _, err := l.Stat(ctx, "up/secret.jsonl"); return err },
		func() error { _, err := l.Open(ctx, "up/secret.jsonl", 0); return err },
	} {
		if err := op(); !errors.Is(err, ErrNotRegular) {
			t.Errorf("through a symlinked folder out of the root: %v, want ErrNotRegular", err)
		}
	}
	if r, err := l.Open(ctx, "a/real.jsonl", 2); err != nil {
		t.Errorf("a regular file: %v", err)
	} else {
		b, _ := io.ReadAll(r)
		r.Close()
		if string(b) != "side" {
			t.Errorf("read %q from offset 2, want %q", b, "side")
		}
	}
}

// A collection of temporary files removes those of killed writes only,
// whatever its cutoff: a write in progress — an upload begun and not
// ended, a Put being written — holds its file's lock (another Local stands
// for the other process here: flock locks belong to open files, so two
// opens in one process conflict as two processes do), and its file stays,
// so the write lands. A file whose writer is gone (closed, as the kernel
// does when a process dies) goes.
func TestRemoveStaleTempKeepsLiveWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writer, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	gc, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	u, err := writer.Begin(ctx, "out/date=2025-11-08/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	// A killed write's file: created, never locked by a live process.
	dead := filepath.Join(dir, "out", "date=2025-11-08", tmpPrefix+"upload-dead")
	if err := os.WriteFile(dead, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour) // every file is older: grace 0 and more
	if _, err := gc.RemoveStaleTemp(ctx, "out/", future); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed write's file %s stays: %v", dead, err)
	}
	if _, err := writer.Complete(ctx, u, strings.NewReader("rows"), 4); err != nil {
		t.Fatalf("the live upload, after a collection: %v", err)
	}
	// A Put is live while it writes: collect while its reader is read.
	pr, pw := io.Pipe()
	putDone := make(chan error, 1)
	go func() {
		_, err := writer.Put(ctx, "out/_manifest.json", pr, 4, PutOptions{IfNoneMatch: true})
		putDone <- err
	}()
	if _, err := pw.Write([]byte("ma")); err != nil { // the Put has its temp file
		t.Fatal(err)
	}
	if _, err := gc.RemoveStaleTemp(ctx, "", future); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Write([]byte("nf")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-putDone; err != nil {
		t.Fatalf("the live put, after a collection: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out", "_manifest.json")); string(got) != "manf" {
		t.Fatalf("the put wrote %q", got)
	}
}

// A conditional write waits a bounded time for the folder's lock held by
// a process stopped while holding it, then fails with an error a retry may
// pass (not a failed condition); once the lock is free it succeeds. The
// stopped process is this test holding the lock on its own open of the
// folder: stopping a real one inside the few instructions it holds the
// lock cannot be lined up from outside.
func TestConditionalPutWaitsBoundedForAStoppedLockHolder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.LockWait = 100 * time.Millisecond
	info, err := l.Put(ctx, "out/_manifest.json", strings.NewReader("v1"), 2, PutOptions{IfNoneMatch: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := os.Open(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Put(ctx, "out/_manifest.json", strings.NewReader("v2"), 2, PutOptions{IfMatch: info.ETag})
		done <- err
	}()
	var perr error
	select {
	case perr = <-done:
	case <-time.After(time.Minute): // a hang detector, not a speed bound
		syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		t.Fatalf("the put waited for the stopped holder's lock until it was released: %v", <-done)
	}
	if perr == nil || errors.Is(perr, ErrPrecondition) || !strings.Contains(perr.Error(), "held it") {
		t.Fatalf("put while the lock is held: %v, want a bounded wait's error naming the lock", perr)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out", "_manifest.json")); string(got) != "v1" {
		t.Fatalf("the manifest is %q, want v1 untouched", got)
	}
	syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
	if _, err := l.Put(ctx, "out/_manifest.json", strings.NewReader("v2"), 2, PutOptions{IfMatch: info.ETag}); err != nil {
		t.Fatalf("put once the lock is free: %v", err)
	}
}

// A key that is a file one moment and a folder the next (the file removed
// and a folder made in its place, which may reuse the file's inode) is
// read as a file or fails with a kind — ErrNotExist, ErrPrecondition —
// from Open and OpenListed alike, never with an error of no kind such as
// reading a folder.
func TestLocalOpenWhileFileBecomesFolder(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	const key = "k/x"
	p := filepath.Join(dir, key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan error, 2)
	for r := range 2 {
		go func() {
			var reads, kinded int
			for {
				select {
				case <-stop:
					t.Logf("reader %d: %d reads, %d failed with a kind", r, reads, kinded)
					done <- nil
					return
				default:
				}
				var rc io.ReadCloser
				var err error
				if r == 0 {
					rc, err = l.Open(ctx, key, 0)
				} else {
					var info ObjectInfo
					if info, err = l.Stat(ctx, key); err == nil {
						rc, err = l.OpenListed(ctx, info, 0, -1)
					}
				}
				if err == nil {
					_, err = io.ReadAll(rc)
					rc.Close()
				}
				reads++
				switch {
				case err == nil:
				case errors.Is(err, ErrNotExist) || errors.Is(err, ErrPrecondition):
					kinded++
				default:
					done <- err
					return
				}
			}
		}()
	}
	for range 8000 {
		_ = os.WriteFile(p, []byte("0123456789"), 0o644)
		_ = os.Remove(p)
		_ = os.Mkdir(p, 0o755)
		_ = os.Remove(p)
	}
	close(stop)
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("read of a key turning into a folder: %v, want its bytes, ErrNotExist or ErrPrecondition", err)
		}
	}
}
