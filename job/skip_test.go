package job_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// --skip-committed skips a date only when its head is a final commit from
// the same inputs and config: a claim left by a run killed while publishing
// (which may have replaced data) is taken over, never skipped for good.
func TestSkipCommittedTakesOverADeadClaim(t *testing.T) {
	ctx := context.Background()
	in, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), logLines(500, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Date, cfg.SkipCommitted, cfg.CommitLease = "2025-11-08", true, time.Second
	first, err := job.Run(ctx, cfg, job.Options{})
	if err != nil || first.Partitions[0].Status != job.StatusCommitted {
		t.Fatalf("first run: %v %+v", err, first)
	}
	// A run of the same inputs and config claimed the date and was killed.
	b, _ := storage.NewLocal(out)
	tb := table.NewOutput(b, "").Table("5m", false)
	h, err := tb.ReadHead(ctx, cfg.Date)
	if err != nil {
		t.Fatal(err)
	}
	claim := *h.Manifest
	claim.State, claim.RunID, claim.ClaimedAt, claim.Previous = table.StateClaimed, "killed", time.Now().UTC(), h.Manifest
	body := claim.Encode()
	if _, err := b.Put(ctx, tb.ManifestKey(cfg.Date), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: h.ETag}); err != nil {
		t.Fatal(err)
	}
	sum, err := job.Run(ctx, cfg, job.Options{})
	if err != nil || sum.Partitions[0].Status != job.StatusCommitted {
		t.Fatalf("rerun over the dead claim: %v, partitions %+v; want it taken over and committed", err, sum.Partitions)
	}
	if m := checkPartition(t, b, mustLoc(t, out), cfg.Date); m.RunID != sum.RunID {
		t.Errorf("committed by %s, want %s", m.RunID, sum.RunID)
	}
}

// A run that loses a race leaves nothing of its own, its sample of bad
// lines included.
func TestLoserRemovesItsRejects(t *testing.T) {
	ctx := context.Background()
	in, out := t.TempDir(), t.TempDir()
	data := append(logLines(500, 0), "not json\n"...)
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Date = "2025-11-08"
	var winner *job.Summary
	loser := cfg
	loser.RunID = "loser"
	sum, err := job.Run(ctx, loser, job.Options{BeforePublish: func(context.Context, string) {
		// Another run commits after the loser read its heads.
		var werr error
		if winner, werr = job.Run(ctx, cfg, job.Options{}); werr != nil {
			t.Errorf("winner: %v", werr)
		}
	}})
	if failure.ExitCode(err) != failure.ExitLostRace {
		t.Fatalf("loser: %v, want exit %d", err, failure.ExitLostRace)
	}
	if sum.Rejects != "" {
		t.Errorf("the loser's summary still names rejects %s", sum.Rejects)
	}
	var left []string
	_ = filepath.WalkDir(filepath.Join(out, "_rejects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if winner == nil || len(left) != 1 || !bytes.Contains([]byte(left[0]), []byte(winner.RunID)) {
		t.Errorf("rejects left %v; want only the winner's", left)
	}
}
