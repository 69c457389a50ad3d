package objio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// Stream reads one object as it was listed. When a read fails part-way, it
// opens the object again from the offset it had reached (a ranged GET), so
// no byte is read twice and no line is counted twice; a read that delivers
// nothing for the policy's Idle time is abandoned and resumed the same
// way. Every open — the first, from an offset, and each resumption — reads
// the listed version only (Backend.OpenListed): an object replaced,
// rewritten, grown or shrunk since the listing fails with
// storage.ErrPrecondition, one deleted with storage.ErrNotExist, and no
// byte past the listed size (or the stream's end) is read. The opener
// closes it.
type Stream struct {
	ctx    context.Context
	b      Backend
	p      Policy
	info   storage.ObjectInfo
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
	off    int64
	end    int64 // < 0: unknown (an object of unknown size)
	opened bool
}

// Stream returns a reader of the object info describes, from offset off to
// its listed end. Nothing is read before the first Read.
func (b *Bucket) Stream(ctx context.Context, info storage.ObjectInfo, off int64) *Stream {
	return b.StreamRange(ctx, info, off, -1)
}

// StreamRange returns a reader of the bytes [off, end) of the object info
// describes; end < 0, or past the listed size, means the listed size.
// Nothing is read before the first Read.
func (b *Bucket) StreamRange(ctx context.Context, info storage.ObjectInfo, off, end int64) *Stream {
	if end < 0 || (info.Size >= 0 && end > info.Size) {
		end = info.Size
	}
	return &Stream{ctx: ctx, b: b.b, p: b.p, info: info, off: off, end: end}
}

func (r *Stream) open() error {
	if r.opened && r.p.Retries != nil {
		r.p.Retries.Add(1) // a resumption
	}
	r.opened = true
	ctx, cancel := context.WithCancel(r.ctx)
	rc, err := r.b.OpenListed(ctx, r.info, r.off, r.end)
	if err != nil {
		cancel()
		return err
	}
	r.rc, r.cancel = rc, cancel
	if r.p.Idle > 0 {
		// Armed only while a Read waits, so a consumer that pauses (a
		// full read-ahead) is not taken for a stalled store.
		r.timer = time.AfterFunc(r.p.Idle, cancel)
		r.timer.Stop()
	}
	return nil
}

func (r *Stream) closeCurrent() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.rc != nil {
		r.rc.Close()
		r.rc = nil
	}
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// Read reads the next bytes of the object, resuming after transient
// failures under the bucket's policy.
func (r *Stream) Read(p []byte) (int, error) {
	if r.end >= 0 {
		if r.off >= r.end {
			return 0, io.EOF
		}
		if int64(len(p)) > r.end-r.off {
			p = p[:r.end-r.off] // a backend that gives more is not trusted to stop
		}
	}
	var n int
	atEOF := false
	// The idle timer, not an attempt bound, limits reads.
	err := r.p.do(r.ctx, 0, func(context.Context) error {
		if r.rc == nil {
			if err := r.open(); err != nil {
				return err
			}
		}
		var err error
		if r.timer != nil {
			r.timer.Reset(r.p.Idle)
		}
		n, err = r.rc.Read(p)
		if r.timer != nil {
			r.timer.Stop()
		}
		r.off += int64(n)
		switch {
		case n > 0 && (err == nil || err == io.EOF):
			return nil
		case err == io.EOF && r.end >= 0 && r.off < r.end:
			err = fmt.Errorf("stream ended at byte %d of %d: %w", r.off, r.end, io.ErrUnexpectedEOF)
		case err == io.EOF:
			atEOF = true
			return nil
		case err == nil:
			return nil
		}
		r.closeCurrent()
		if r.ctx.Err() == nil && errors.Is(err, context.Canceled) {
			err = fmt.Errorf("no data for %v: %w", r.p.Idle, io.ErrNoProgress)
		}
		if n > 0 {
			return nil // deliver what arrived; the next Read resumes
		}
		return err
	})
	if err == nil && n == 0 && (atEOF || r.end >= 0 && r.off >= r.end) {
		return 0, io.EOF
	}
	return n, err
}

// Close releases the current connection.
func (r *Stream) Close() error {
	r.closeCurrent()
	return nil
}
