package storage

import (
	"context"
	"fmt"
	"io"
)

// MissingFolder is a local folder that does not exist, read as a store: a
// day's input folder not there yet holds no object, as a missing S3 prefix
// does. It lists nothing, Open, OpenListed and Stat fail with ErrNotExist,
// Delete has nothing to delete, and Put refuses: it is read, never written.
type MissingFolder struct {
	Dir string
}

// List lists nothing.
func (m MissingFolder) List(context.Context, string, func(ObjectInfo) error) error { return nil }

// Open fails with ErrNotExist.
func (m MissingFolder) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %s in %s: %w", key, m.Dir, ErrNotExist)
}

// OpenListed fails with ErrNotExist.
func (m MissingFolder) OpenListed(_ context.Context, info ObjectInfo, _, _ int64) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %s in %s: %w", info.Key, m.Dir, ErrNotExist)
}

// Stat fails with ErrNotExist.
func (m MissingFolder) Stat(_ context.Context, key string) (ObjectInfo, error) {
	return ObjectInfo{}, fmt.Errorf("stat %s in %s: %w", key, m.Dir, ErrNotExist)
}

// Put refuses: the folder is an input.
func (m MissingFolder) Put(_ context.Context, key string, _ io.Reader, _ int64, _ PutOptions) (ObjectInfo, error) {
	return ObjectInfo{}, fmt.Errorf("put %s: input folder %s is not written to", key, m.Dir)
}

// Delete has nothing to delete.
func (m MissingFolder) Delete(context.Context, string) error { return nil }
