package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// Delete removes the object. Deleting a missing object is not an error,
// nor is deleting a key that names a folder (no object) or one under an
// object: neither is there to delete.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if fi, err := l.root.Lstat(key); err == nil && fi.IsDir() {
		return nil
	}
	if err := l.root.Remove(key); err != nil {
		if err = translate(err); !errors.Is(err, ErrNotExist) {
			return fmt.Errorf("delete %s: %w", key, err)
		}
		// Nothing removed: nothing to prune either. (Under a key
		// below an object, its "parent" is that object.)
		return nil
	}
	l.prune(key)
	return nil
}

// prune removes the now-empty folders above key, as a store of keys has no
// folders.
func (l *Local) prune(key string) {
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if l.root.Remove(dir) != nil {
			break
		}
	}
}

// DeleteIf removes the file info describes while key still names that
// file: the same file (device and inode, info.FileID) with the same size
// and modification time (info.ETag), as List and Stat give them. Every
// write renames a new file into place, so a write since makes another
// file: then DeleteIf fails with ErrPrecondition and the new file stays.
//
// The check and the removal are one step against every other write: the
// file is renamed to a private name first (a rename is atomic), so what
// it removes is what it checked; when a write replaced the key between
// the check and the rename, the file it moved is linked back under key
// (never over a file written since) and nothing is removed. Conditional
// writes (Put with a condition) wait for it: it holds the folder's lock.
// A process killed between that rename and the link back would leave the
// file under the private name, for RemoveStaleTemp; the window is one
// rename long, and only a write landing inside it opens it.
func (l *Local) DeleteIf(ctx context.Context, info ObjectInfo) error {
	key := info.Key
	if err := checkKey(key); err != nil {
		return err
	}
	if info.ETag == "" && info.FileID == "" {
		return fmt.Errorf("delete %s: %w: no ETag or file id says which file to delete", key, ErrPrecondition)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.root.Open(path.Dir(key))
	if err != nil {
		if err = translate(err); errors.Is(err, ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer d.Close()
	if err := l.lockDir(d, path.Dir(key)); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
	f, err := l.root.Open(key)
	if err != nil {
		if err = translate(err); errors.Is(err, ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, translate(err))
	}
	if fi.IsDir() {
		return nil
	}
	if !sameFile(fi, info) {
		return fmt.Errorf("delete %s: %w: another file took its place", key, ErrPrecondition)
	}
	// Held shared, the lock keeps RemoveStaleTemp off the file while it
	// has its private name.
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	private := path.Join(path.Dir(key), tmpPrefix+"delete-"+hex.EncodeToString(rnd[:]))
	if err := l.root.Rename(key, private); err != nil {
		if err = translate(err); errors.Is(err, ErrNotExist) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if moved, err := l.root.Lstat(private); err == nil && os.SameFile(fi, moved) {
		if err := l.root.Remove(private); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s (as %s): %w", key, private, translate(err))
		}
		l.prune(key)
		return nil
	}
	// A write replaced the file between the check and the rename: put
	// what it wrote back, unless a later write took the key again.
	if err := l.root.Link(private, key); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("delete %s: put back the file written since, kept as %s: %w", key, private, translate(err))
	}
	_ = l.root.Remove(private)
	return fmt.Errorf("delete %s: %w: another file took its place", key, ErrPrecondition)
}

// sameFile reports whether fi is the file info describes.
func sameFile(fi fs.FileInfo, info ObjectInfo) bool {
	return (info.FileID == "" || fileID(fi) == info.FileID) && (info.ETag == "" || localETag(fi) == info.ETag)
}
