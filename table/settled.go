package table

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// settleTries is how many times readSettled reads an object that changes
// while it is read before it gives up; settleBackoff(i) is the pause
// before try i, so the tries span under two seconds.
const settleTries = 16

func settleBackoff(try int) time.Duration {
	return min(time.Millisecond<<(try-1), 200*time.Millisecond)
}

// readSettled reads the object under key with read, given the object's
// info as Stat gave it, which read must read through OpenListed: the
// version read is then that info's (If-Match on S3, the open file checked
// on a local folder), and the ETag returned is the content's even when a
// replaced object is put back byte for byte (an S3 ETag is the content's
// MD5: a claim released puts the manifest before it back). It returns ""
// and no error when there is no object. A head changes a few times a run
// (claim, renewals, publish), and commands racing for it change it in
// bursts: read failing with ErrPrecondition or ErrNotExist (replaced or
// removed since the Stat) means try again, after a pause that grows, so
// a reader that lost a race reads the head it lost to once the burst is
// over instead of giving up inside it. Any other error of read is
// returned as it is. One that keeps changing fails with an error of no
// kind, which a caller may retry as it retries a transient fault.
func readSettled(ctx context.Context, b Bucket, key string, read func(before storage.ObjectInfo) error) (string, error) {
	var err error
	for try := range settleTries {
		if try > 0 {
			if err := sleepCtx(ctx, settleBackoff(try)); err != nil {
				return "", err
			}
		}
		var before storage.ObjectInfo
		if before, err = b.Stat(ctx, key); errors.Is(err, storage.ErrNotExist) {
			return "", nil
		} else if err != nil {
			return "", err
		}
		err = read(before)
		if errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return before.ETag, nil
	}
	return "", fmt.Errorf("kept changing while read (%d tries; the last: %v)", settleTries, err)
}

// sleepCtx pauses for d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wrapIf says what was being done to err, or returns nil.
func wrapIf(err error, doing string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", doing, err)
}
