package storagetest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/logsmith/logsmith/storage"
)

// Hooked is a store decorator for tests that need another actor at a named
// point of a read: it calls Before ahead of the n-th open (1-based, of any
// object, whatever the offset), so a test can change the object there as
// another process would; it cuts the streams of the first Cut opens after
// CutAfter bytes with a connection reset, as a dropped connection does; and
// it counts the bytes read through it. The store under it is real.
type Hooked struct {
	Store
	// Before, when set, runs ahead of the n-th open.
	Before func(n int)
	// Cut is how many opens, from the first, have their stream cut.
	Cut int
	// CutAfter is how many bytes a cut stream delivers before its reset.
	CutAfter int64

	mu      sync.Mutex
	offsets []int64
	read    atomic.Int64
}

// Offsets returns the offset of every open so far, in order.
func (h *Hooked) Offsets() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int64(nil), h.offsets...)
}

// BytesRead returns how many bytes the streams opened through h delivered.
func (h *Hooked) BytesRead() int64 { return h.read.Load() }

// opened records an open at off and runs Before; it returns the open's
// number.
func (h *Hooked) opened(off int64) int {
	h.mu.Lock()
	h.offsets = append(h.offsets, off)
	n := len(h.offsets)
	h.mu.Unlock()
	if h.Before != nil {
		h.Before(n)
	}
	return n
}

// wrap counts rc's bytes and cuts it if open n is to be cut.
func (h *Hooked) wrap(rc io.ReadCloser, n int) io.ReadCloser {
	c := &hookedReader{rc: rc, h: h, left: -1}
	if n <= h.Cut {
		c.left = h.CutAfter
	}
	return c
}

// Open opens key through the store under h, at the next named point.
func (h *Hooked) Open(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	n := h.opened(off)
	rc, err := h.Store.Open(ctx, key, off)
	if err != nil {
		return nil, err
	}
	return h.wrap(rc, n), nil
}

// OpenListed opens the listed version of an object through the store
// under h, at the next named point.
func (h *Hooked) OpenListed(ctx context.Context, info storage.ObjectInfo, off, end int64) (io.ReadCloser, error) {
	n := h.opened(off)
	rc, err := h.Store.OpenListed(ctx, info, off, end)
	if err != nil {
		return nil, err
	}
	return h.wrap(rc, n), nil
}

type hookedReader struct {
	rc   io.ReadCloser
	h    *Hooked
	left int64 // bytes before the reset; < 0: never
}

func (r *hookedReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, fmt.Errorf("read: %w", syscall.ECONNRESET)
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	if r.left > 0 {
		r.left -= int64(n)
	}
	r.h.read.Add(int64(n))
	return n, err
}

func (r *hookedReader) Close() error { return r.rc.Close() }
