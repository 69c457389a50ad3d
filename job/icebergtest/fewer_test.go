package icebergtest

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// A run never replaces a committed partition with one holding fewer events
// unless asked (--allow-fewer-events; --allow-empty for none), in either
// table format: whatever made the events fewer. Each case starts from a
// committed day and changes the input; a refused run exits 5 and leaves
// every partition as it was, and more events always replace.
func TestNeverFewerEvents(t *testing.T) {
	day := func(root string) string { return filepath.Join(root, "2025", "11", "08") }
	cases := []struct {
		name   string
		change func(t *testing.T, root string) // the input's root folder
		input  func(root string) string        // "" for the template
		refuse bool
	}{
		{name: "an input object deleted", refuse: true, change: func(t *testing.T, root string) {
			remove(t, firstFile(t, day(root)))
		}},
		{name: "an input object truncated", refuse: true, change: func(t *testing.T, root string) {
			f := firstFile(t, day(root))
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an undated run of another folder's stray lines of the date", refuse: true, change: func(t *testing.T, root string) {
			b, err := os.ReadFile(firstFile(t, day(root)))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfterN(string(b), "\n", 6)
			stray := filepath.Join(root, "stray")
			if err := os.MkdirAll(stray, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(stray, "late.jsonl"), []byte(strings.Join(lines[:5], "")), 0o644); err != nil {
				t.Fatal(err)
			}
		}, input: func(root string) string { return filepath.Join(root, "stray") + "/" }},
		{name: "an input object added", change: func(t *testing.T, root string) {
			b, err := os.ReadFile(firstFile(t, day(root)))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(day(root), "zz-late.jsonl"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "nothing changed"},
	}
	for _, format := range []string{"hive", "iceberg"} {
		for _, tc := range cases {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				in := setup(t)
				root := strings.TrimSuffix(in, "/{yyyy}/{mm}/{dd}/")
				out := t.TempDir()
				env := map[string]string{"LOGSMITH_WINDOW": "5m,1h/15m"}
				mk := config
				if format == "iceberg" {
					mk = iceConfig
				}
				first, err := job.Run(ctx, mk(t, in, out, env), job.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if tc.change != nil {
					tc.change(t, root)
				}
				rerun := mk(t, in, out, env)
				if tc.input != nil {
					rerun.Input, rerun.Date = tc.input(root), ""
				}
				before := owners(t, format, &rerun)
				sum, err := job.Run(ctx, rerun, job.Options{})
				if !tc.refuse {
					if err != nil {
						t.Fatalf("rerun: %v", err)
					}
					if got := owners(t, format, &rerun); got["5m"] != sum.RunID || got["1h-every-15m"] != sum.RunID {
						t.Fatalf("after the rerun the date is owned by %v, want %s", got, sum.RunID)
					}
					return
				}
				if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "fewer than") || !strings.Contains(err.Error(), first.RunID) {
					t.Fatalf("rerun with fewer events: %v (exit %d), want exit %d naming the committed run %s", err, failure.ExitCode(err), failure.ExitStorage, first.RunID)
				}
				if after := owners(t, format, &rerun); !maps.Equal(after, before) {
					t.Fatalf("the refused run changed the output: %v, before %v", after, before)
				}
				// Nor does it leave its sample of bad lines (the truncated
				// object's cut line is one): a retried CronJob would leave
				// one per attempt.
				if sum == nil || sum.RunID == "" {
					t.Fatalf("refused run: no summary")
				}
				_ = filepath.WalkDir(out, func(p string, _ os.DirEntry, err error) error {
					if err == nil && strings.Contains(p, "run="+sum.RunID) {
						t.Errorf("the refused run left %s", p)
					}
					return err
				})
				rerun.AllowFewer = true
				sum, err = job.Run(ctx, rerun, job.Options{})
				if err != nil {
					t.Fatalf("with --allow-fewer-events: %v", err)
				}
				if got := owners(t, format, &rerun); got["5m"] != sum.RunID {
					t.Fatalf("with --allow-fewer-events the date is owned by %v, want %s", got, sum.RunID)
				}
			})
		}
	}
}

// owners returns the run owning each table's partition of date (and of
// every date, keyed "window date", so that an undated run's commits of
// other days show), in either format.
func owners(t *testing.T, format string, cfg *settings.Config) map[string]string {
	t.Helper()
	ctx := context.Background()
	got := map[string]string{}
	for _, w := range windows(t, cfg) {
		if format == "iceberg" {
			tb, err := open(t, cfg).OpenTable(ctx, iceberg.TableName(w))
			if err != nil {
				continue // not created yet
			}
			heads, err := tb.Heads(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for d, h := range heads {
				got[w.String()+" "+d] = h.RunID
				if d == date {
					got[w.String()] = h.RunID
				}
			}
			continue
		}
		b, err := storage.NewLocal(cfg.Output)
		if err != nil {
			t.Fatal(err)
		}
		tb := table.NewOutput(b, "").Table(w.String(), true)
		dates, err := tb.Dates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dates {
			h, err := tb.ReadHead(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			got[w.String()+" "+d] = h.Manifest.RunID
			if d == date {
				got[w.String()] = h.Manifest.RunID
			}
		}
	}
	return got
}

func firstFile(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil || len(es) == 0 {
		t.Fatalf("read %s: %v (%d entries)", dir, err, len(es))
	}
	return filepath.Join(dir, es[0].Name())
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// A refused Iceberg run changes nothing in the catalog: it neither creates
// the table of a window it adds nor gives an existing table a column it
// adds, since tables are created and evolved only once every check has
// passed. (Found by a hostile review.)
func TestRefusedIcebergRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	in := setup(t)
	root := strings.TrimSuffix(in, "/{yyyy}/{mm}/{dd}/")
	out := t.TempDir()
	first := iceConfig(t, in, out, map[string]string{"LOGSMITH_WINDOW": "5m", "LOGSMITH_BYTES_FIELD": ""})
	if _, err := job.Run(ctx, first, job.Options{}); err != nil {
		t.Fatal(err)
	}
	cat := open(t, &first)
	state := func() string {
		names, err := cat.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, n := range names {
			tb, err := cat.OpenTable(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			loc, err := tb.MetadataLocation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(n + " " + loc + "\n")
		}
		return b.String()
	}
	before := state()
	remove(t, firstFile(t, filepath.Join(root, "2025", "11", "08")))
	// A new window (a new table) and a new column (bytes_sum) at once.
	rerun := iceConfig(t, in, out, map[string]string{"LOGSMITH_WINDOW": "5m,1h"})
	_, err := job.Run(ctx, rerun, job.Options{})
	if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "fewer than") {
		t.Fatalf("rerun with fewer events: %v, want exit %d", err, failure.ExitStorage)
	}
	if after := state(); after != before {
		t.Fatalf("the refused run changed the catalog:\n%s\nbefore:\n%s", after, before)
	}
	// Allowed, it creates the table and the column.
	rerun.AllowFewer = true
	if _, err := job.Run(ctx, rerun, job.Options{}); err != nil {
		t.Fatal(err)
	}
	if after := state(); !strings.Contains(after, "features_1h") || after == before {
		t.Fatalf("the allowed run: catalog\n%s", after)
	}
}

// The guard holds on every path that commits, in both formats: a sharded
// run's merge and a backfill (where the refused date fails and the other
// commits) are refused like a run, and --allow-fewer-events lets the merge
// of the same shards commit.
func TestNeverFewerEventsMergeAndBackfill(t *testing.T) {
	for _, format := range []string{"hive", "iceberg"} {
		mk := config
		if format == "iceberg" {
			mk = iceConfig
		}
		t.Run(format+"/merge", func(t *testing.T) {
			ctx := context.Background()
			in := setup(t)
			root := strings.TrimSuffix(in, "/{yyyy}/{mm}/{dd}/")
			out := t.TempDir()
			first, err := job.Run(ctx, mk(t, in, out, nil), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			remove(t, firstFile(t, filepath.Join(root, "2025", "11", "08")))
			c := mk(t, in, out, nil)
			before := owners(t, format, &c)
			for _, shard := range []string{"0/2", "1/2"} {
				s := mk(t, in, out, nil)
				s.RunID, s.Shard = "shardrun", shard
				if _, err := job.Run(ctx, s, job.Options{}); err != nil {
					t.Fatal(err)
				}
			}
			c.RunID = "shardrun"
			_, err = job.Merge(ctx, c, job.Options{})
			if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "fewer than") || !strings.Contains(err.Error(), first.RunID) {
				t.Fatalf("merge with fewer events: %v, want exit %d naming %s", err, failure.ExitStorage, first.RunID)
			}
			if after := owners(t, format, &c); !maps.Equal(after, before) {
				t.Fatalf("the refused merge changed the output: %v, before %v", after, before)
			}
			c.AllowFewer = true
			if _, err := job.Merge(ctx, c, job.Options{}); err != nil {
				t.Fatalf("merge with --allow-fewer-events: %v", err)
			}
			if got := owners(t, format, &c); got["5m"] != "shardrun" {
				t.Fatalf("after the allowed merge: %v", got)
			}
		})
		t.Run(format+"/backfill", func(t *testing.T) {
			ctx := context.Background()
			in := setup(t)
			root := strings.TrimSuffix(in, "/{yyyy}/{mm}/{dd}/")
			out := t.TempDir()
			first, err := job.Run(ctx, mk(t, in, out, nil), job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			remove(t, firstFile(t, filepath.Join(root, "2025", "11", "08")))
			bc := settings.BackfillConfig{Config: mk(t, in, out, nil), To: "2025-11-09", Parallel: 1}
			bc.Date, bc.From = "", "2025-11-08"
			res, err := job.Backfill(ctx, bc, job.Options{}, nil)
			if failure.ExitCode(err) != failure.ExitStorage {
				t.Fatalf("backfill: %v, want exit %d", err, failure.ExitStorage)
			}
			status := map[string]string{}
			for _, r := range res {
				status[r.Date] = r.Status
			}
			if status["2025-11-08"] != "failed" || status["2025-11-09"] != "committed" {
				t.Fatalf("backfill dates: %v, want 2025-11-08 failed (fewer events) and 2025-11-09 committed", status)
			}
			if got := owners(t, format, &bc.Config); got["5m"] != first.RunID {
				t.Fatalf("the refused date changed hands: %v, want %s", got, first.RunID)
			}
		})
	}
}
