package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Begin starts a write to key: it creates an empty temporary file beside
// it, whose name is the upload's ID. No object appears until Complete.
func (l *Local) Begin(ctx context.Context, key string) (Upload, error) {
	if err := checkKey(key); err != nil {
		return Upload{}, err
	}
	f, tmp, err := l.createTemp(path.Dir(key), tmpPrefix+"upload-")
	if err != nil {
		return Upload{}, fmt.Errorf("begin upload %s: %w", key, translateWrite(err))
	}
	// Held open, locked, until the upload ends in this process: while it
	// is, no collection removes the file.
	id := path.Base(tmp)
	l.upMu.Lock()
	if l.uploads == nil {
		l.uploads = map[string]*os.File{}
	}
	l.uploads[tmp] = f
	l.upMu.Unlock()
	return Upload{Key: key, ID: id}, nil
}

// uploadTemp returns the temporary file of u, refusing an ID that is not
// one Begin makes.
func uploadTemp(u Upload) (string, error) {
	if err := checkKey(u.Key); err != nil {
		return "", err
	}
	if !strings.HasPrefix(u.ID, tmpPrefix+"upload-") || strings.ContainsAny(u.ID, "/\x00") {
		return "", fmt.Errorf("%w: upload id %q", ErrInvalidKey, u.ID)
	}
	return path.Join(path.Dir(u.Key), u.ID), nil
}

// Complete writes the size bytes of r into u's temporary file, syncs it
// and renames it to the key: the object appears whole. It never creates
// the temporary file: when Abort removed it (or Complete already renamed
// it), it fails with ErrPrecondition. An unknown size (< 0) fails with
// ErrSize, as on S3.
func (l *Local) Complete(ctx context.Context, u Upload, r io.Reader, size int64) (ObjectInfo, error) {
	if size < 0 {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w: the size must be known", u.Key, ErrSize)
	}
	tmp, err := uploadTemp(u)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer l.endUpload(tmp)
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w: the upload was aborted", u.Key, ErrPrecondition)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w", u.Key, translateWrite(err))
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("%w: read %d bytes, want %d", ErrSize, n, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w", u.Key, err)
	}
	// The rename is the fence: it moves the name Abort removes, so of the
	// two one lands first and the other finds nothing.
	info, err := l.publish("complete upload", tmp, u.Key)
	if errors.Is(err, ErrNotExist) {
		return ObjectInfo{}, fmt.Errorf("complete upload %s: %w: the upload was aborted", u.Key, ErrPrecondition)
	}
	return info, err
}

// Abort removes u's temporary file, so that no Complete of it can land.
// Aborting an upload already aborted or completed is not an error.
func (l *Local) Abort(ctx context.Context, u Upload) error {
	tmp, err := uploadTemp(u)
	if err != nil {
		return err
	}
	defer l.endUpload(tmp)
	if err := l.root.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort upload %s: %w", u.Key, translate(err))
	}
	return nil
}

// endUpload closes (so unlocks) the temporary file of an upload begun in
// this process.
func (l *Local) endUpload(tmp string) {
	l.upMu.Lock()
	f := l.uploads[tmp]
	delete(l.uploads, tmp)
	l.upMu.Unlock()
	if f != nil {
		f.Close()
	}
}
