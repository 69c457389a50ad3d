package job_test

import (
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

// A run reads the heads its commit is conditional on before it lists its
// inputs: R2, which listed before a late input object arrived, must lose to
// R1, which saw the late object and committed meanwhile, not supersede its
// fuller commit with the stale listing (the late object's events would be
// gone while both runs exit 0).
func TestStaleListingLoses(t *testing.T) {
	dir := t.TempDir()
	logs, out := filepath.Join(dir, "logs"), filepath.Join(dir, "out")
	gen := settings.GenerateConfig{Output: logs, Objects: 2, Lines: 1000, Seed: 5, Start: mustTime("2025-11-08"), Days: 1}
	if _, err := job.Generate(context.Background(), gen); err != nil {
		t.Fatal(err)
	}
	// Hide the second object: it arrives late.
	var objs []string
	filepath.Walk(logs, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			objs = append(objs, p)
		}
		return nil
	})
	late := objs[len(objs)-1]
	if err := os.Rename(late, filepath.Join(dir, "late")); err != nil {
		t.Fatal(err)
	}
	cfg := runConfig(logs, out, settings.S3Settings{})
	cfg.Date = "2025-11-08"
	ctx := context.Background()
	r2done := make(chan error)
	listed, resume := make(chan struct{}), make(chan struct{})
	go func() {
		c := cfg
		c.RunID = "R2-stale-listing"
		_, err := job.Run(ctx, c, job.Options{AfterList: func(context.Context) { close(listed); <-resume }})
		r2done <- err
	}()
	<-listed
	if err := os.Rename(filepath.Join(dir, "late"), late); err != nil {
		t.Fatal(err)
	}
	c := cfg
	c.RunID = "R1-fresh"
	if _, err := job.Run(ctx, c, job.Options{}); err != nil {
		t.Fatalf("R1: %v", err)
	}
	close(resume)
	err := <-r2done
	l, _ := storage.NewLocal(out)
	h, _ := table.NewOutput(l, "").Table("5m", false).ReadHead(ctx, cfg.Date)
	t.Logf("R2: %v; head: run=%s inputs=%d events=%d supersedes=%s", err, h.Manifest.RunID, len(h.Manifest.Inputs), h.Manifest.PartitionEvents, h.Manifest.Supersedes)
	if failure.ExitCode(err) != failure.ExitLostRace || h.Manifest.RunID != "R1-fresh" {
		t.Errorf("R2, which listed its inputs before R1 committed: %v; committed by %s with %d inputs; want R2 to lose (exit 4) and R1's %d inputs to stand",
			err, h.Manifest.RunID, len(h.Manifest.Inputs), len(objs))
	}
}

func mustTime(d string) (t time.Time) {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic(err)
	}
	return t
}
