package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// PipeKey names a [Pipe]'s one object.
const PipeKey = "-"

// ErrReadOnce refuses a second read of a [Pipe]: a stream that broke
// part-way cannot be resumed. It is permanent: retrying cannot help.
var ErrReadOnce error = readOnce{}

type readOnce struct{}

func (readOnce) Error() string   { return "standard input cannot be read again" }
func (readOnce) Permanent() bool { return true }

// Pipe is a stream (standard input) as a store holding one object, named
// PipeKey, of unknown size (-1), so that it takes the same path as every
// other input: listed, read as one unit, decoded, counted. It can be
// opened once, from its start; it is never written.
type Pipe struct {
	mu     sync.Mutex
	r      io.Reader
	opened bool
}

// NewPipe returns r as a store.
func NewPipe(r io.Reader) *Pipe { return &Pipe{r: r} }

// List lists the one object.
func (p *Pipe) List(_ context.Context, _ string, fn func(ObjectInfo) error) error {
	return fn(ObjectInfo{Key: PipeKey, Size: -1})
}

// Open returns the stream the first time, from offset 0; after that, or
// from another offset, it fails with ErrReadOnce. Another key does not
// exist. Closing the stream does not close r.
func (p *Pipe) Open(_ context.Context, key string, off int64) (io.ReadCloser, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if key != PipeKey {
		return nil, fmt.Errorf("open %s on standard input: %w", key, ErrNotExist)
	}
	if p.opened || off != 0 {
		return nil, fmt.Errorf("read standard input from byte %d: %w", off, ErrReadOnce)
	}
	p.opened = true
	return io.NopCloser(p.r), nil
}

// OpenListed is Open: a stream has no versions to tell apart.
func (p *Pipe) OpenListed(ctx context.Context, info ObjectInfo, off, _ int64) (io.ReadCloser, error) {
	return p.Open(ctx, info.Key, off)
}

// Stat describes the one object; another key does not exist.
func (p *Pipe) Stat(_ context.Context, key string) (ObjectInfo, error) {
	if key != PipeKey {
		return ObjectInfo{}, fmt.Errorf("stat %s on standard input: %w", key, ErrNotExist)
	}
	return ObjectInfo{Key: PipeKey, Size: -1}, nil
}

// errPipeWrite refuses writes to a Pipe.
var errPipeWrite = errors.New("standard input is not written to")

// Put refuses.
func (p *Pipe) Put(context.Context, string, io.Reader, int64, PutOptions) (ObjectInfo, error) {
	return ObjectInfo{}, errPipeWrite
}

// Delete refuses.
func (p *Pipe) Delete(context.Context, string) error { return errPipeWrite }
