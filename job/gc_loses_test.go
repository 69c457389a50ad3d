package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/table"
)

// blockedDeletes holds GC's first delete until proceed is closed.
type blockedDeletes struct {
	job.Bucket
	deleting chan struct{}
	proceed  chan struct{}
}

func (b blockedDeletes) Delete(ctx context.Context, key string) error {
	select {
	case b.deleting <- struct{}{}:
		<-b.proceed
	default:
	}
	return b.Bucket.Delete(ctx, key)
}

// GC commits nothing, so a run that races it must not lose: run A reads its
// head, GC claims the partition to delete an unlisted object, A reaches its
// commit while GC holds the claim, and waits until GC puts the head back
// (on a local folder with a new ETag). The race rule says A commits.
func TestRunNeverLosesToGC(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	loc := f.outLoc(t)
	if _, err := job.Run(ctx, raceConfig(f, raceDate, "first", nil), job.Options{}); err != nil {
		t.Fatal(err)
	}
	put(t, f.bucket, loc.Key("date="+raceDate+"/run=old/part-00000.parquet"), []byte("v1"))
	held, release := make(chan struct{}), make(chan struct{})
	a := make(chan error, 1)
	go func() {
		_, err := job.Run(ctx, raceConfig(f, raceDate, "A", nil), job.Options{Progress: holdProgress{func() {
			close(held)
			<-release
		}}})
		a <- err
	}()
	<-held
	bd := blockedDeletes{f.bucket, make(chan struct{}), make(chan struct{})}
	gcDone := make(chan error, 1)
	go func() {
		_, err := job.GC(ctx, bd, loc, table.GCOptions{Now: time.Now(), Grace: 0})
		gcDone <- err
	}()
	<-bd.deleting // GC holds its claim of the partition
	close(release)
	// A meets GC's claim: it waits for it rather than losing to it.
	time.Sleep(500 * time.Millisecond)
	close(bd.proceed)
	err := <-a
	if gerr := <-gcDone; gerr != nil {
		t.Fatal(gerr)
	}
	if err != nil {
		t.Fatalf("run A, which no commit raced, failed: %v (exit %d)", err, failure.ExitCode(err))
	}
	if m := checkPartition(t, f.bucket, loc, raceDate); m.RunID != "A" {
		t.Fatalf("committed by %s, want A", m.RunID)
	}
}
