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
// way. When the listing gave an ETag, only that version is read: an object
// replaced since fails with storage.ErrPrecondition instead of being read
// cut at the listed size. The opener closes it.
type Stream struct {
	ctx    context.Context
	b      Backend
	p      Policy
	info   storage.ObjectInfo
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
	off    int64
	opened bool
}

// Stream returns a reader of the object info describes, from offset off.
// Nothing is read before the first Read.
func (b *Bucket) Stream(ctx context.Context, info storage.ObjectInfo, off int64) *Stream {
	return &Stream{ctx: ctx, b: b.b, p: b.p, info: info, off: off}
}

func (r *Stream) open() error {
	if r.opened && r.p.Retries != nil {
		r.p.Retries.Add(1) // a resumption
	}
	r.opened = true
	if r.info.ETag != "" {
		st, err := r.b.Stat(r.ctx, r.info.Key)
		if err != nil {
			return err
		}
		if st.ETag != r.info.ETag || st.Size != r.info.Size {
			return fmt.Errorf("%s changed since it was listed (etag %s, was %s): %w", r.info.Key, st.ETag, r.info.ETag, storage.ErrPrecondition)
		}
	}
	ctx, cancel := context.WithCancel(r.ctx)
	rc, err := r.b.Open(ctx, r.info.Key, r.off)
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
	if r.info.Size >= 0 && r.off >= r.info.Size {
		return 0, io.EOF
	}
	var n int
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
		case err == io.EOF && r.off < r.info.Size:
			err = fmt.Errorf("stream ended at byte %d of %d: %w", r.off, r.info.Size, io.ErrUnexpectedEOF)
		case err == io.EOF:
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
	if err == nil && n == 0 && r.off >= r.info.Size {
		return 0, io.EOF
	}
	return n, err
}

// Close releases the current connection.
func (r *Stream) Close() error {
	r.closeCurrent()
	return nil
}
