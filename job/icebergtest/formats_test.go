package icebergtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// Every table format keeps one contract with the run, the merge and the
// skip: the same sequence of commands gives the same outcomes, statuses
// and error kinds in the hive layout and in Iceberg tables — a commit, a
// skip of the same input, a lost race, a refusal of fewer events, a
// sharded run merged, and its merge rerun once the shards are gone. A
// format that breaks the contract (a head read at the wrong time, a skip
// that does not skip, a race not detected) fails here whatever its
// package.
func TestEveryTableFormatKeepsTheContract(t *testing.T) {
	for _, format := range []string{"hive", "iceberg"} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			in := setup(t)
			out := t.TempDir()
			cfg := func(env map[string]string) settings.Config {
				e := map[string]string{"LOGSMITH_TABLE_FORMAT": format}
				for k, v := range env {
					e[k] = v
				}
				return config(t, in, out, e)
			}
			statuses := func(sum *job.Summary) (s []string) {
				for _, p := range sum.Partitions {
					s = append(s, p.Window+" "+p.Status+" "+p.RunID)
				}
				return s
			}
			want := func(what string, sum *job.Summary, status, runID string) {
				t.Helper()
				if sum == nil || len(sum.Partitions) != 2 {
					t.Fatalf("%s: partitions %v, want one per table", what, sum)
				}
				for _, p := range sum.Partitions {
					if p.Status != status || p.RunID != runID || p.Date != date {
						t.Fatalf("%s: %v, want each %s by %s", what, statuses(sum), status, runID)
					}
				}
			}
			wantKind := func(what string, err error, kind failure.Kind, exit int) {
				t.Helper()
				if failure.KindOf(err) != kind || failure.ExitCode(err) != exit {
					t.Fatalf("%s: %v (kind %v, exit %d), want kind %v, exit %d", what, err, failure.KindOf(err), failure.ExitCode(err), kind, exit)
				}
			}

			sum, err := job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "first"}), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want("first run", sum, job.StatusCommitted, "first")

			sum, err = job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "again", "LOGSMITH_SKIP_COMMITTED": "true"}), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want("the same input again, skipping", sum, job.StatusSkipped, "first")

			// A run that listed before another run committed loses the race
			// and commits nothing: the other run's partitions stand.
			var winner *job.Summary
			_, err = job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "loser"}), job.Options{AfterList: func(ctx context.Context) {
				var err error
				if winner, err = job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "winner"}), job.Options{}); err != nil {
					t.Error(err)
				}
			}})
			wantKind("a run that started before another's commit", err, failure.KindLostRace, failure.ExitLostRace)
			if !errors.Is(err, table.ErrLostRace) {
				t.Errorf("lost race: %v does not wrap table.ErrLostRace", err)
			}
			want("the run that committed meanwhile", winner, job.StatusCommitted, "winner")

			// Fewer input objects: fewer events than the commit, refused.
			objs, _ := filepath.Glob(filepath.Join(strings.Split(in, "{")[0], "2025", "11", "08", "*"))
			if len(objs) < 2 {
				t.Fatalf("input objects of the date: %v", objs)
			}
			if err := os.Rename(objs[0], filepath.Join(t.TempDir(), "moved")); err != nil {
				t.Fatal(err)
			}
			_, err = job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "fewer"}), job.Options{})
			wantKind("a run with an input object gone", err, failure.KindFewerEvents, failure.ExitStorage)
			sum, err = job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "fewer", "LOGSMITH_ALLOW_FEWER_EVENTS": "true"}), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want("the same run, allowed fewer events", sum, job.StatusCommitted, "fewer")

			// A sharded run: each shard writes its partial, the merge commits;
			// a merge rerun once the shards are gone finds its own commit.
			for _, s := range []string{"0/2", "1/2"} {
				if _, err := job.Run(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "sharded", "LOGSMITH_SHARD": s}), job.Options{}); err != nil {
					t.Fatal(err)
				}
			}
			sum, err = job.Merge(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "sharded", "LOGSMITH_ALLOW_FEWER_EVENTS": "true"}), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want("the merge", sum, job.StatusCommitted, "sharded")
			sum, err = job.Merge(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "sharded", "LOGSMITH_ALLOW_FEWER_EVENTS": "true"}), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want("the merge rerun", sum, job.StatusSkipped, "sharded")

			// A merge of a run no shard was written for: input not there yet.
			_, err = job.Merge(ctx, cfg(map[string]string{"LOGSMITH_RUN_ID": "none"}), job.Options{})
			wantKind("a merge before its shards", err, failure.KindNotReady, failure.ExitStorage)
		})
	}
}
