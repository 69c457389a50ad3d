package objio

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

// Permanent reports whether retrying err cannot help: the object or bucket
// is missing, access is refused, a condition failed, the key is invalid,
// a write's body is not the size it was given,
// the endpoint answers otherwise than configured (storage.ErrMisconfigured:
// plain http for https, an untrusted certificate, another region), a
// local listing met something that is not a regular file, the error says
// so itself (a Permanent() bool method returning true, as
// table.ErrManifestTooLarge), or the caller gave up.
func Permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, storage.ErrNotExist) || errors.Is(err, storage.ErrPermission) ||
		errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrInvalidKey) || errors.Is(err, storage.ErrSize) ||
		errors.Is(err, storage.ErrNotRegular) || errors.Is(err, storage.ErrMisconfigured) ||
		(errors.As(err, &p) && p.Permanent())
}

// Policy says how failing storage calls are retried.
type Policy struct {
	// Deadline is how long a failing call is retried, from its first
	// failure; 0 tries once more at most.
	Deadline time.Duration
	// Attempt bounds one call, so that a stalled connection cannot hang a
	// run; 0 means no bound. Stream reads are bounded by Idle instead.
	Attempt time.Duration
	// Idle abandons and resumes a stream read that delivers nothing for
	// this long; 0 never does.
	Idle time.Duration
	// Retries, when set, counts every retry and stream resumption.
	Retries *atomic.Int64
	// OnRetry, when set, hears of each failed attempt that is retried:
	// its number (1 for the first), its error and the wait before the
	// next. Calls may come from many goroutines.
	OnRetry func(attempt int, err error, wait time.Duration)
}

// inRetry marks a context whose caller retries: bucket calls under it are
// made once.
type inRetry struct{}

// Do calls fn until it succeeds, fails permanently or the deadline passes.
// Each call gets a context bounded by Attempt under which the bucket's
// own calls do not retry. The error names what, once.
func (p Policy) Do(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	err := p.do(context.WithValue(ctx, inRetry{}, true), p.Attempt, fn)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// call runs fn under the policy, or once when the caller retries.
func (p Policy) call(ctx context.Context, fn func(ctx context.Context) error) error {
	if ctx.Value(inRetry{}) != nil {
		return fn(ctx)
	}
	return p.do(ctx, p.Attempt, fn)
}

// Final marks err as one that retrying cannot help (a callback failed, or
// the object read is damaged): Do and the bucket return it at once, as it
// is.
func Final(err error) error { return &final{err} }

type final struct{ err error }

func (f *final) Error() string { return f.err.Error() }

// giveUp is the error after the last attempt: the cause, then how long it
// was retried.
type giveUp struct {
	attempts int
	spent    time.Duration
	err      error
}

func (g *giveUp) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts in %v)", g.err, g.attempts, g.spent.Round(time.Millisecond))
}

func (g *giveUp) Unwrap() error { return g.err }

func (p Policy) do(ctx context.Context, attemptBound time.Duration, fn func(ctx context.Context) error) error {
	var first time.Time
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if attemptBound > 0 {
			actx, cancel = context.WithTimeout(ctx, attemptBound)
		}
		err := fn(actx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer in %v: %w", attemptBound, io.ErrNoProgress) // transient
		}
		var f *final
		if errors.As(err, &f) {
			return f.err
		}
		if err == nil || Permanent(err) {
			return err
		}
		if first.IsZero() {
			first = time.Now()
		}
		if time.Since(first)+delay > p.Deadline {
			return &giveUp{attempts: attempt, spent: time.Since(first), err: err}
		}
		if p.Retries != nil {
			p.Retries.Add(1)
		}
		wait := delay/2 + rand.N(delay/2+1)
		if p.OnRetry != nil {
			p.OnRetry(attempt, err, wait)
		}
		if err := sleep(ctx, wait); err != nil {
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
