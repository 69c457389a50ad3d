package job

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// Bucket is what a run needs from a store: exactly what its output table
// needs (see table.Bucket). storage.S3 and storage.Local implement it.
type Bucket = table.Bucket

// OpenInput returns the store behind an input location, to read from, its
// calls retried under p. A local folder is never created: a run does not
// write to its input, and a missing folder (a day with no logs yet) holds
// no object, as a missing S3 prefix does.
func OpenInput(loc settings.Location, s3 settings.S3Settings, p objio.Policy) (*objio.Bucket, error) {
	b, err := openStore(loc, s3, false)
	if err != nil {
		return nil, err
	}
	return objio.New(b, p), nil
}

// openStore opens the store of loc through its scheme (see
// settings.Location.Opener); create says whether a missing local folder is
// created, or is an empty store. Its error is sorted into a kind: the
// settings' (failure.KindBadSetting) or the store's (see failure.Storage).
func openStore(loc settings.Location, s3 settings.S3Settings, create bool) (objio.Backend, error) {
	open, ok := loc.Opener()
	if !ok {
		return nil, fmt.Errorf("no store for %q", loc)
	}
	b, err := open(s3, create)
	var bad *settings.StoreConfigError
	switch {
	case errors.As(err, &bad):
		return nil, failure.New(failure.KindBadSetting, bad.Err)
	case err != nil:
		return nil, failure.Storage(err)
	}
	return b, nil
}

// OpenBucket returns the store behind loc, its calls retried under p,
// creating a local folder: it is for outputs.
func OpenBucket(loc settings.Location, s3 settings.S3Settings, p objio.Policy) (*objio.Bucket, error) {
	b, err := openStore(loc, s3, true)
	if err != nil {
		return nil, err
	}
	return objio.New(b, p), nil
}

// defaultPolicy retries the storage calls of commands without retry
// settings (ls, show, files, gc, generate) as a run does by default.
var defaultPolicy = objio.Policy{Deadline: 2 * time.Minute, Attempt: 4 * time.Minute, Idle: time.Minute}

// readPolicy returns the retry policy of storage calls under the read
// settings c: each retry counted in opts.Retries, logged and shown as
// progress as it happens.
func readPolicy(c *settings.ReadSettings, opts Options) objio.Policy {
	return objio.Policy{Deadline: c.ReadRetryDeadline, Retries: opts.Retries, Attempt: 4 * c.IdleTimeout, Idle: c.IdleTimeout,
		OnRetry: retryReporter(opts.Logger, opts.Progress)}
}

// retryReporter returns an objio.Policy.OnRetry that logs each retry, with
// its attempt and error, and tells progress (when set).
func retryReporter(log *slog.Logger, progress Progress) func(attempt int, err error, wait time.Duration) {
	return func(attempt int, err error, wait time.Duration) {
		if log != nil {
			log.Warn("storage call failed; retrying", "attempt", attempt, "retry_in", wait.Round(time.Millisecond), "error", err)
		}
		if progress != nil {
			progress.Retrying(attempt, err)
		}
	}
}
