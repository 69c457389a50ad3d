package job_test

import (
	"context"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// Three ordinary commands (issue 24 item 4): an undated run U over every
// date, a dated run D1 of one of them, and a dated run D2 of another. D1
// reads its heads before U claims; U claims 2025-11-07 and 2025-11-08 and
// is held before its last date; D1, re-reading its head, meets U's claim
// of 2025-11-08; D2 commits 2025-11-09, so U loses there and gives its
// claims back. Meeting a claim when re-reading heads means waiting for it,
// as at claim time: D1 then finds the commit it started from still in
// force and commits. Before, D1 exited 4 at once, and the date kept its
// old state with no winner.
func TestRunMeetingAClaimWhenRereadingWaits(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const d07, d08, d09 = "2025-11-07", "2025-11-08", "2025-11-09"
	d1Listed, uHeld, uRelease, d1Claiming := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	uDone := make(chan error, 1)
	go func() {
		cfg := raceConfig(f, "", "undated", nil)
		cfg.Input = "s3://" + f.bucket.Bucket() + "/logs/"
		_, err := job.Run(ctx, cfg, job.Options{BeforePublish: func(_ context.Context, d string) {
			switch d {
			case d07:
				<-d1Listed // D1 has read its heads: nothing claimed yet
			case d09:
				close(uHeld) // 07 and 08 claimed
				<-uRelease
			}
		}})
		uDone <- err
	}()
	d1Done := make(chan error, 1)
	go func() {
		_, err := job.Run(ctx, raceConfig(f, d08, "dated", nil), job.Options{
			Progress: holdProgress{func() {
				close(d1Listed)
				<-uHeld
			}},
			BeforePublish: func(context.Context, string) { close(d1Claiming) },
		})
		d1Done <- err
	}()
	<-uHeld
	if _, err := job.Run(ctx, raceConfig(f, d09, "other-date", nil), job.Options{}); err != nil {
		t.Fatalf("the run of %s: %v", d09, err)
	}
	select {
	case <-d1Claiming: // past its re-read: waiting for U's claim
	case err := <-d1Done:
		close(uRelease)
		<-uDone
		t.Fatalf("the dated run met the undated run's claim when re-reading its head: %v (exit %d), want it to wait", err, failure.ExitCode(err))
	}
	time.Sleep(200 * time.Millisecond) // it polls the claim
	close(uRelease)
	if err := <-uDone; failure.ExitCode(err) != failure.ExitLostRace {
		t.Fatalf("the undated run: %v (exit %d), want it to lose %s (exit %d)", err, failure.ExitCode(err), d09, failure.ExitLostRace)
	}
	if err := <-d1Done; err != nil {
		t.Fatalf("the dated run, whose date no one committed: %v (exit %d)", err, failure.ExitCode(err))
	}
	loc := f.outLoc(t)
	for d, want := range map[string]string{d08: "dated", d09: "other-date"} {
		if m := checkPartition(t, f.bucket, loc, d); m.RunID != want {
			t.Errorf("%s committed by %s, want %s", d, m.RunID, want)
		}
	}
	// The loser wrote nothing: its claim of 2025-11-07, a date with no
	// commit, stays marked given up.
	if m, _, err := readManifest(ctx, f.bucket, loc, d07); err != nil || m.State != table.StateClaimed || m.ReleasedAt.IsZero() {
		t.Errorf("%s: %+v (%v), want the undated run's claim given up", d07, m, err)
	}
	var keys []string
	if err := f.bucket.List(ctx, loc.Key("date="+d07+"/"), func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil || len(keys) != 1 {
		t.Errorf("%s holds %v (%v), want its manifest only", d07, keys, err)
	}
}
