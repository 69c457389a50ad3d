package job_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// failData refuses every data object write, as a pod killed mid-publish.
type failData struct{ job.Bucket }

func (b failData) Put(ctx context.Context, key string, r io.Reader, size int64, o storage.PutOptions) (storage.ObjectInfo, error) {
	if strings.Contains(key, "part-00000") {
		return storage.ObjectInfo{}, errors.New("killed")
	}
	return b.Bucket.Put(ctx, key, r, size, o)
}

func (b failData) Complete(ctx context.Context, u storage.Upload, r io.Reader, size int64) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, errors.New("killed")
}

// A merge pod killed after claiming, retried with the same run id, must
// finish its commit, not lose to its own claim.
func TestRetriedMergeTakesOverItsOwnClaim(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	if _, err := job.Run(ctx, raceConfig(f, raceDate, "first", nil), job.Options{}); err != nil {
		t.Fatal(err)
	}
	mapPods(t, f, "S", nil, 2, nil)
	loc := f.outLoc(t)
	tb := table.NewOutput(failData{f.bucket}, loc.Prefix).Table("", false)
	h, err := tb.ReadHead(ctx, raceDate)
	if err != nil {
		t.Fatal(err)
	}
	c := &table.Committer{RunID: "S"} // the killed merge: claimed, then died
	if _, err := c.Commit(ctx, []*table.Partition{{Table: tb, Date: raceDate, Head: h,
		Manifest: &table.Manifest{Window: "5m", Date: raceDate}, Blobs: []table.Blob{{Format: "parquet", Data: []byte("x")}}}}); err == nil {
		t.Fatal("the killed commit succeeded")
	}
	if _, err := job.Merge(ctx, raceConfig(f, raceDate, "S", nil), job.Options{}); err != nil {
		t.Fatalf("retried merge: %v (exit %d)", err, failure.ExitCode(err))
	}
	if m := checkPartition(t, f.bucket, loc, raceDate); m.RunID != "S" {
		t.Fatalf("committed by %s, want S", m.RunID)
	}
}
