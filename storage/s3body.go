package storage

import (
	"context"
	"fmt"
	"io"
)

// exactReader hands minio-go the bytes of a write and makes sure they are
// exactly the size announced: minio-go reads size bytes and stops, so more
// bytes in r would be cut off silently, and fewer may be padded out by a
// part's buffer. Before it hands over the last byte of size it looks for
// one more; finding one (or an early end) it fails the read, so the
// request never completes and no object appears. It also stops at a
// cancelled ctx between reads. size < 0 reads r to its end.
type exactReader struct {
	ctx  context.Context
	r    io.Reader
	left int64 // bytes still expected; < 0 when the size is unknown
	read int64
	err  error
}

// newExactReader returns r checked against size. An empty write, which
// minio-go never reads, is checked at once: its err is set when r holds a
// byte.
func newExactReader(ctx context.Context, r io.Reader, size int64) *exactReader {
	e := &exactReader{ctx: ctx, r: r, left: size}
	if size == 0 {
		if err := e.extra(); err != io.EOF {
			e.err = err
		}
	}
	return e
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if e.left == 0 {
		return 0, e.extra()
	}
	if e.left > 0 && int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.read += int64(n)
	if e.left < 0 {
		if err != nil && err != io.EOF {
			e.err = err
		}
		return n, err
	}
	e.left -= int64(n)
	switch {
	case e.left == 0 && err != nil && err != io.EOF:
		// The last bytes came with an error: the write fails, though
		// r, asked again, might not repeat it.
		e.err = err
		return n, err
	case e.left == 0:
		if xerr := e.extra(); xerr != io.EOF {
			return 0, xerr
		}
		return n, nil
	case err == io.EOF:
		e.err = fmt.Errorf("%w: read %d bytes, want %d", ErrSize, e.read, e.read+e.left)
		return n, e.err
	case err != nil:
		e.err = err
	}
	return n, err
}

// extra is io.EOF when r holds no byte beyond size, else the error.
func (e *exactReader) extra() error {
	var b [1]byte
	for {
		n, err := e.r.Read(b[:])
		switch {
		case n > 0:
			e.err = fmt.Errorf("%w: the body holds more than the %d bytes announced", ErrSize, e.read)
			return e.err
		case err == io.EOF:
			return io.EOF
		case err != nil:
			e.err = err
			return err
		}
	}
}

// check is the error of a write minio-go reports done: what its reads
// met, or bytes left unread.
func (e *exactReader) check() error {
	switch {
	case e.err != nil:
		return e.err
	case e.left > 0:
		return fmt.Errorf("%w: read %d bytes, want %d", ErrSize, e.read, e.read+e.left)
	}
	return nil
}
