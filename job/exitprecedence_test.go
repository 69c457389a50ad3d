package job_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// dayLines are n events of date d (YYYY-MM-DD).
func precedenceLines(d string, n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"%sT%02d:%02d:00Z","level":"INFO","latency_ms":%d}`+"\n", d, i/60%24, i%60, i%50)
	}
	return []byte(b.String())
}

// A backfill's exit code is the highest in precedence among its failed
// dates' (docs/operations.md), not the first date's: a date whose input
// has not arrived (5: retry) is not hidden by a date of bad data (3: do
// not retry), whatever their order (issue 24 item 7).
func TestBackfillExitPrecedence(t *testing.T) {
	type day int
	const (
		good day = iota
		bad
		missing
	)
	for _, tc := range []struct {
		days  []day
		want  int
		named []string // in the error
	}{
		{[]day{bad, missing, good}, failure.ExitStorage, []string{"bad data (exit 3) 2025-11-01", "no input yet (exit 5) 2025-11-02"}},
		{[]day{missing, bad, good}, failure.ExitStorage, []string{"bad data (exit 3) 2025-11-02", "no input yet (exit 5) 2025-11-01"}},
		{[]day{bad, good, bad}, failure.ExitBadData, []string{"bad data (exit 3) 2025-11-01 2025-11-03"}},
		{[]day{good, missing, good}, failure.ExitStorage, []string{"no input yet (exit 5) 2025-11-02"}},
		{[]day{good, good}, failure.ExitOK, nil},
	} {
		t.Run(fmt.Sprint(tc.days), func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			var last string
			for i, k := range tc.days {
				d := fmt.Sprintf("2025-11-%02d", i+1)
				last = d
				if k == missing {
					continue
				}
				dir := filepath.Join(in, "2025", "11", d[8:])
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				data := precedenceLines(d, 600)
				if k == bad {
					data = append(data, []byte(strings.Repeat("not json\n", 100))...)
				}
				if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := settings.BackfillConfig{Config: runConfig(filepath.Join(in, "{yyyy}/{mm}/{dd}")+"/", out, settings.S3Settings{}), To: last, Parallel: 2}
			cfg.From = "2025-11-01"
			res, err := job.Backfill(context.Background(), cfg, job.Options{}, nil)
			if got := failure.ExitCode(err); got != tc.want {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.want)
			}
			for _, n := range tc.named {
				if !strings.Contains(err.Error(), n) {
					t.Errorf("error %q does not name %q", err, n)
				}
			}
			for i, r := range res {
				if want := map[day]string{good: table.StatusCommitted, bad: "failed", missing: "failed"}[tc.days[i]]; r.Status != want {
					t.Errorf("%s: %s (%s), want %s", r.Date, r.Status, r.Error, want)
				}
			}
		})
	}
}

// A merge rerun after it committed (its pod's exit lost, the Job retried)
// finds no shards and its run's commit: nothing to do, exit 0. A merge of
// the same run racing one that commits and deletes the shards while it
// reads them lost: exit 4, having written nothing (issue 24 item 7).
func TestMergeExitCodes(t *testing.T) {
	ctx := context.Background()
	for _, tables := range [][]string{nil, twoTables} {
		t.Run(fmt.Sprintf("%d tables, rerun after the commit", max(len(tables), 1)), func(t *testing.T) {
			f := newFixture(t)
			mapPods(t, f, "S", tables, 2, nil)
			if _, err := job.Merge(ctx, raceConfig(f, raceDate, "S", tables), job.Options{}); err != nil {
				t.Fatal(err)
			}
			sum, err := job.Merge(ctx, raceConfig(f, raceDate, "S", tables), job.Options{})
			if err != nil {
				t.Fatalf("merge again: %v (exit %d), want 0", err, failure.ExitCode(err))
			}
			if len(sum.Partitions) != max(len(tables), 1) || sum.Partitions[0].Status != job.StatusSkipped || sum.Partitions[0].RunID != "S" {
				t.Errorf("merge again: partitions %+v, want the run's, skipped", sum.Partitions)
			}
			for _, m := range owner(t, f.bucket, f.out, tables, raceDate) {
				if m.RunID != "S" {
					t.Errorf("%s committed by %s", m.Window, m.RunID)
				}
			}
		})
		t.Run(fmt.Sprintf("%d tables, two merges at once", max(len(tables), 1)), func(t *testing.T) {
			f := newFixture(t)
			mapPods(t, f, "S", tables, 3, nil)
			var first error
			_, err := job.Merge(ctx, raceConfig(f, raceDate, "S", tables), job.Options{AfterList: func(ctx context.Context) {
				_, first = job.Merge(ctx, raceConfig(f, raceDate, "S", tables), job.Options{})
			}})
			if first != nil {
				t.Fatalf("the merge that ran whole: %v", first)
			}
			if failure.ExitCode(err) != failure.ExitLostRace {
				t.Fatalf("the merge that read the shards as the other deleted them: %v (exit %d), want 4", err, failure.ExitCode(err))
			}
			for _, m := range owner(t, f.bucket, f.out, tables, raceDate) {
				if m.RunID != "S" {
					t.Errorf("%s committed by %s", m.Window, m.RunID)
				}
			}
		})
	}
}
