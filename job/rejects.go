package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// dropRejectsIfRefused removes the run's sample of bad lines when it ends with
// err having committed no date: refused, beaten in a race or interrupted. It
// is kept on bad input, a date committed (or maybe: table.ErrOutcomeUnknown),
// or if an earlier run of the id wrote it (a retried merge). Idempotent.
func (rs *runState) dropRejectsIfRefused(ctx context.Context, err error) {
	if err == nil || !rs.ownRejects || failure.KindOf(err) == failure.KindHalt || rs.committedByThisRun() > 0 || errors.Is(err, table.ErrOutcomeUnknown) {
		return
	}
	if derr := rs.out.Delete(context.WithoutCancel(ctx), rs.sum.Rejects); derr != nil {
		rs.log.Warn("remove the lost run's rejects", "key", rs.sum.Rejects, "error", derr)
		return
	}
	rs.sum.Rejects, rs.ownRejects = "", false
}

// committedByThisRun counts the partitions this run committed.
func (rs *runState) committedByThisRun() int {
	n := 0
	for _, p := range rs.sum.Partitions {
		if p.Status == StatusCommitted {
			n++
		}
	}
	return n
}

// writeRejects writes the bad lines' sample unless the run id's is there; ok says it did.
func writeRejects(ctx context.Context, out Bucket, loc settings.Location, date, runID string, rejects []features.Reject) (key string, ok bool, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rejects {
		_ = enc.Encode(r) // strings only: cannot fail
	}
	key = table.NewOutput(out, loc.Prefix).RejectsKey(date, runID)
	_, err = out.Stat(ctx, key) // not If-None-Match: a retry after a lost answer would say "not ours"
	if err == nil {
		return key, false, nil // not ours to replace or remove: a commit may name it
	} else if errors.Is(err, storage.ErrNotExist) {
		_, err = out.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), storage.PutOptions{ContentType: "application/x-ndjson"})
	}
	if err != nil {
		return "", false, failure.Storage(fmt.Errorf("write rejects: %w", err))
	}
	return key, true, nil
}
