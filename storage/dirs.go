package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
)

// ListDirs calls fn, in key order, for each distinct "folder" directly
// under prefix: the part of a key after prefix up to and including the next
// slash. It lists one level only, so its cost grows with the number of
// folders, not with the number of objects below them. prefix must be empty
// or end with a slash, as for Local.
func (s *S3) ListDirs(ctx context.Context, prefix string, fn func(dir string) error) error {
	if err := checkS3Key("list folders", s.bucket, prefix); err != nil {
		return err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("list folders s3://%s/%s: %w: a prefix of folders ends with a slash", s.bucket, prefix, ErrInvalidKey)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio's lister goroutine if we return early
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: false}) {
		if o.Err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.bucket, prefix, s.s3Error(o.Err))
		}
		if !strings.HasSuffix(o.Key, "/") || o.Key == prefix {
			continue
		}
		if err := fn(o.Key); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// ListDirs calls fn, in key order, for each folder directly under prefix
// that holds at least one object, as prefix plus the folder's name and a
// slash: a folder holding only the temporary file of a write not yet
// complete (or nothing) holds none. prefix must be empty or end with a
// slash.
func (l *Local) ListDirs(ctx context.Context, prefix string, fn func(dir string) error) error {
	dir := strings.TrimSuffix(prefix, "/")
	if dir == "" {
		dir = "."
	} else if err := checkKey(dir); err != nil || !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("list folders %q: %w", prefix, ErrInvalidKey)
	}
	entries, err := fs.ReadDir(l.root.FS(), dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) { // nothing there, or an object
		return nil
	}
	if err != nil {
		return fmt.Errorf("list folders %q: %w", prefix, translate(err))
	}
	var dirs []string
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		held, err := l.holdsObject(ctx, path.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("list folders %q: %w", prefix, translate(err))
		}
		if held {
			dirs = append(dirs, prefix+e.Name()+"/")
		}
	}
	// Key order: ReadDir's order of names puts "b" before "b c", but the
	// keys "b c/..." come before "b/...".
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// holdsObject reports whether the folder dir holds, at any depth, an entry
// that is neither a folder nor a temporary file (one List either returns
// or fails on). It stops at the first.
func (l *Local) holdsObject(ctx context.Context, dir string) (bool, error) {
	found := false
	err := fs.WalkDir(l.root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) || d.IsDir() {
			return nil
		}
		found = true
		return fs.SkipAll
	})
	return found, err
}

// RemoveStaleTemp deletes the temporary files that writes under prefix left
// behind when their process was killed (List never shows them), if they
// were last modified before olderThan. A file of a live write — one whose
// process, running or stopped, still holds it open (see createTemp) — is
// never removed, however old. It returns how many it removed.
func (l *Local) RemoveStaleTemp(ctx context.Context, prefix string, olderThan time.Time) (int, error) {
	dir := strings.TrimSuffix(prefix, "/")
	if dir == "" {
		dir = "."
	} else if err := checkKey(dir); err != nil {
		return 0, fmt.Errorf("remove temporary files under %q: %w", prefix, err)
	}
	var stale []string
	err := fs.WalkDir(l.root.FS(), dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasPrefix(d.Name(), tmpPrefix) {
			if fi, err := d.Info(); err == nil && fi.ModTime().Before(olderThan) {
				stale = append(stale, p)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remove temporary files under %q: %w", prefix, translate(err))
	}
	removed := 0
	for _, p := range stale {
		ok, err := l.removeIfStale(p)
		if err != nil {
			return removed, fmt.Errorf("remove temporary file %s: %w", p, translate(err))
		}
		if !ok {
			continue
		}
		removed++
		for d := path.Dir(p); d != "." && d != dir; d = path.Dir(d) {
			if l.root.Remove(d) != nil {
				break
			}
		}
	}
	return removed, nil
}
