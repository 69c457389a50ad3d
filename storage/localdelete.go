package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
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
// The check and the removal are one step against every write of a key:
// all of them hold the folder's lock (see underDirLock).
func (l *Local) DeleteIf(ctx context.Context, info ObjectInfo) error {
	key := info.Key
	if err := checkKey(key); err != nil {
		return err
	}
	if info.ETag == "" && info.FileID == "" {
		return fmt.Errorf("delete %s: %w: no ETag or file id says which file to delete", key, ErrPrecondition)
	}
	removed := false
	err := l.underDirLock("delete", key, func() error {
		fi, err := l.root.Lstat(key)
		if err != nil {
			if err = translate(err); errors.Is(err, ErrNotExist) {
				return nil
			}
			return fmt.Errorf("delete %s: %w", key, err)
		}
		if fi.IsDir() {
			return nil
		}
		if !sameFile(fi, info) {
			return fmt.Errorf("delete %s: %w: another file took its place", key, ErrPrecondition)
		}
		if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", key, translate(err))
		}
		removed = true
		return nil
	})
	if errors.Is(err, ErrNotExist) && !removed {
		return nil // no folder: nothing there
	}
	if removed {
		l.prune(key)
	}
	return err
}

// sameFile reports whether fi is the file info describes.
func sameFile(fi fs.FileInfo, info ObjectInfo) bool {
	return (info.FileID == "" || fileID(fi) == info.FileID) && (info.ETag == "" || localETag(fi) == info.ETag)
}
