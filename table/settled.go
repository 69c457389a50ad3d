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

// readSettled reads the object under key with read, and returns the ETag
// the object had both before and after read ran, so what read decoded is
// that ETag's content; "" and no error when there is no object. A head
// changes a few times a run (claim, renewals, publish), and commands
// racing for it change it in bursts: read failing with ErrPrecondition or
// ErrNotExist (replaced or removed under it), or the ETags disagreeing,
// means try again, after a pause that grows, so a reader that lost a race
// reads the head it lost to once the burst is over instead of giving up
// inside it. Any other error of read is returned as it is.
func readSettled(ctx context.Context, b Bucket, key string, read func(before storage.ObjectInfo) error) (string, error) {
	var err error
	for try := range settleTries {
		if try > 0 {
			if err := sleepCtx(ctx, settleBackoff(try)); err != nil {
				return "", err
			}
		}
		var before, after storage.ObjectInfo
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
		if after, err = b.Stat(ctx, key); err == nil && after.ETag == before.ETag {
			return before.ETag, nil
		}
		if err == nil {
			err = fmt.Errorf("etag %s became %s: %w", before.ETag, after.ETag, storage.ErrPrecondition)
		}
	}
	return "", fmt.Errorf("kept changing while read (%d tries): %w", settleTries, err)
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
