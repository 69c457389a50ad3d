package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// permanent reports whether retrying cannot help: the object or bucket is
// missing, access is refused, a condition failed, a local listing met a
// symlink, or we were cancelled.
func permanent(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPermission) ||
		errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrInvalidKey) ||
		errors.Is(err, storage.ErrNotRegular)
}

// retrier retries transient storage failures with jittered exponential
// backoff until a deadline measured from the first failure.
type retrier struct {
	deadline time.Duration
	retries  *atomic.Int64 // counts every retry of the run
	// attempt bounds one call, so a stalled connection cannot hang the run;
	// 0 means no bound.
	attempt time.Duration
}

// do calls fn until it succeeds, fails permanently, or the deadline passes.
// Each call gets a context bounded by r.attempt.
func (r retrier) do(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	var first time.Time
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if r.attempt > 0 {
			actx, cancel = context.WithTimeout(ctx, r.attempt)
		}
		err := fn(actx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer in %v: %w", r.attempt, io.ErrNoProgress) // transient
		}
		if err == nil || permanent(err) {
			return err
		}
		if first.IsZero() {
			first = time.Now()
		}
		if time.Since(first)+delay > r.deadline {
			return fmt.Errorf("%s: gave up after %d attempts in %v: %w", what, attempt, time.Since(first).Round(time.Millisecond), err)
		}
		if r.retries != nil {
			r.retries.Add(1)
		}
		if err := sleep(ctx, delay/2+rand.N(delay/2+1)); err != nil {
			return err
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// resumableReader streams an object and, when a read fails part-way, opens
// it again from the offset it had reached (a ranged GET), so no byte is read
// twice and no line is counted twice. A read that makes no progress for
// idle is abandoned and resumed the same way.
type resumableReader struct {
	ctx    context.Context
	b      Bucket
	info   storage.ObjectInfo
	retry  retrier
	idle   time.Duration
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
	off    int64
	opened bool
}

func newResumableReader(ctx context.Context, b Bucket, info storage.ObjectInfo, r retrier, idle time.Duration) *resumableReader {
	return &resumableReader{ctx: ctx, b: b, info: info, retry: r, idle: idle}
}

func (r *resumableReader) open() error {
	if r.opened && r.retry.retries != nil {
		r.retry.retries.Add(1) // a resumption
	}
	r.opened = true
	if r.info.ETag != "" {
		// Read (and resume) only the version that was listed: an object
		// replaced since would otherwise be read cut at the listed size.
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
	if r.idle > 0 {
		// Armed only while a Read waits, so a consumer that pauses (a
		// full read-ahead) is not taken for a stalled store.
		r.timer = time.AfterFunc(r.idle, cancel)
		r.timer.Stop()
	}
	return nil
}

func (r *resumableReader) closeCurrent() {
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

func (r *resumableReader) Read(p []byte) (int, error) {
	if r.info.Size >= 0 && r.off >= r.info.Size {
		return 0, io.EOF
	}
	var n int
	reads := r.retry
	reads.attempt = 0 // the idle timer bounds reads
	err := reads.do(r.ctx, "read "+r.info.Key, func(context.Context) error {
		if r.rc == nil {
			if err := r.open(); err != nil {
				return err
			}
		}
		var err error
		if r.timer != nil {
			r.timer.Reset(r.idle)
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
			err = fmt.Errorf("no data for %v: %w", r.idle, io.ErrNoProgress)
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
func (r *resumableReader) Close() error {
	r.closeCurrent()
	return nil
}
