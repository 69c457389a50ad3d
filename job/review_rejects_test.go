package job_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// A run refused after an earlier run of the same run id committed the date
// (a retried pod: the merge of a sharded run, or any run given --run) must
// not remove the sample that committed manifest names: the key of a sample
// is the date's and the run id's, so the two runs share it.
func TestRefusedRerunKeepsCommittedRejects(t *testing.T) {
	const date = "2025-11-08"
	for _, tc := range []struct {
		name string
		edit func(c *settings.Config)
		opts func(cancel context.CancelFunc) job.Options
		exit int
	}{
		{name: "another shape", edit: func(c *settings.Config) { c.GroupBy = []string{"level"} }, exit: failure.ExitConfig},
		{name: "interrupted building tables", opts: func(cancel context.CancelFunc) job.Options {
			return job.Options{Progress: &rejectsPhase{at: "building tables", cancel: cancel}}
		}, exit: failure.ExitInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(in, "a.jsonl"), logLines(500, 0), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(in, "b.jsonl"), append(logLines(200, 600), "not json\n"...), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := runConfig(in, out, settings.S3Settings{})
			cfg.Date, cfg.RunID = date, "R"
			if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
				t.Fatalf("first run: %v", err)
			}
			st, err := storage.NewLocal(out)
			if err != nil {
				t.Fatal(err)
			}
			h, err := table.NewOutput(st, "").Table("", false).ReadHead(context.Background(), date)
			if err != nil || h.Manifest == nil || h.Manifest.Rejects == "" {
				t.Fatalf("first run's head: %+v, %v; want a manifest naming its rejects", h.Manifest, err)
			}
			named := h.Manifest.Rejects
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var opts job.Options
			if tc.opts != nil {
				opts = tc.opts(cancel)
			}
			_, err = job.Run(ctx, cfg, opts)
			if got := failure.ExitCode(err); got != tc.exit {
				t.Fatalf("rerun: exit %d (%v), want %d", got, err, tc.exit)
			}
			if _, err := st.Stat(context.Background(), named); err != nil {
				t.Errorf("the committed manifest names %s, which the refused rerun of its run id removed: %v", named, err)
			}
		})
	}
}

// A merge killed after it committed and before it deleted its shards is
// retried with the same run id (Argo's retryStrategy): the retry finds the
// shards, merges them again and rewrites the same sample. Whatever the
// retry's exit, the committed manifest's sample must still be there.
func TestRetriedMergeKeepsCommittedRejects(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	mapPods(t, f, "S", nil, 2, nil)
	loc := f.outLoc(t)
	out := table.NewOutput(f.bucket, loc.Prefix)
	saved := map[string][]byte{}
	if err := f.bucket.List(ctx, out.PartialsPrefix(raceDate, "S"), func(o storage.ObjectInfo) error {
		rc, err := f.bucket.Open(ctx, o.Key, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		saved[o.Key] = b
		return err
	}); err != nil || len(saved) != 2 {
		t.Fatalf("shards: %d, %v", len(saved), err)
	}
	if _, err := job.Merge(ctx, raceConfig(f, raceDate, "S", nil), job.Options{}); err != nil {
		t.Fatalf("merge: %v", err)
	}
	m := checkPartition(t, f.bucket, loc, raceDate)
	if m.Rejects == "" {
		t.Fatal("the merge's manifest names no rejects: the fixture needs bad lines")
	}
	// The first merge dies before deleting its shards.
	for k, b := range saved {
		if _, err := f.bucket.Put(ctx, k, bytes.NewReader(b), int64(len(b)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := job.Merge(ctx, raceConfig(f, raceDate, "S", nil), job.Options{})
	if err != nil {
		// Exit 4 is never retried: the workflow fails, though its run committed.
		t.Errorf("retried merge of a committed run: exit %d (%v), want 0", failure.ExitCode(err), err)
	}
	m = checkPartition(t, f.bucket, loc, raceDate)
	if _, serr := f.bucket.Stat(ctx, m.Rejects); serr != nil {
		t.Errorf("the committed manifest (run %s) names %s, gone after the retried merge (exit %d): %v", m.RunID, m.Rejects, failure.ExitCode(err), serr)
	}
}
