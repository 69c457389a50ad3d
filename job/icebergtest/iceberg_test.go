package icebergtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

const date = "2025-11-08"

// setup generates a day of logs (and a few lines of the days around it)
// and returns the input template.
func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var g settings.GenerateConfig
	if err := settings.ParseEnv(&g, map[string]string{"LOGSMITH_OUTPUT": dir, "LOGSMITH_OBJECTS": "3", "LOGSMITH_LINES": "3000",
		"LOGSMITH_START": date + "T00:00:00Z", "LOGSMITH_DAYS": "3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	return dir + "/{yyyy}/{mm}/{dd}/"
}

func config(t *testing.T, input, output string, env map[string]string) settings.Config {
	t.Helper()
	e := map[string]string{"LOGSMITH_INPUT": input, "LOGSMITH_OUTPUT": output, "LOGSMITH_DATE": date,
		"LOGSMITH_WINDOW": "5m,1h/15m", "LOGSMITH_GROUP_BY": "service", "LOGSMITH_STATUS_FIELD": "status",
		"LOGSMITH_BYTES_FIELD": "bytes", "LOGSMITH_DISTINCT_FIELD": "user_id"}
	for k, v := range env {
		e[k] = v
	}
	var c settings.Config
	if err := settings.ParseEnv(&c, e); err != nil {
		t.Fatal(err)
	}
	return c
}

func iceConfig(t *testing.T, input, output string, env map[string]string) settings.Config {
	e := map[string]string{"LOGSMITH_TABLE_FORMAT": "iceberg"}
	for k, v := range env {
		e[k] = v
	}
	return config(t, input, output, e)
}

func open(t *testing.T, cfg *settings.Config) *iceberg.Catalog {
	t.Helper()
	loc, err := settings.ParseLocation(cfg.Output)
	if err != nil {
		t.Fatal(err)
	}
	c, err := job.OpenIceberg(context.Background(), &cfg.IcebergSettings, loc, cfg.S3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func windows(t *testing.T, cfg *settings.Config) []features.Window {
	ws, err := cfg.Windows()
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

var db *sql.DB

func duck(t *testing.T) *sql.DB {
	t.Helper()
	if db == nil {
		var err error
		if db, err = sql.Open("duckdb", ""); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// rows reads Parquet files with DuckDB as sorted text lines, timestamps as
// UTC microseconds so that TIMESTAMP and TIMESTAMP WITH TIME ZONE compare.
func rows(t *testing.T, files []string) []string {
	t.Helper()
	if len(files) == 0 {
		return nil
	}
	list := "['" + strings.Join(files, "','") + "']"
	q := fmt.Sprintf(`SELECT concat_ws('|', epoch_us(window_start), epoch_us(window_end), *COLUMNS(* EXCLUDE (window_start, window_end))) AS r
		FROM read_parquet(%s, hive_partitioning = false) ORDER BY r`, list)
	rs, err := duck(t).Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var r sql.NullString
		if err := rs.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r.String)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func snapshotFiles(t *testing.T, tb *iceberg.Table, snapshot int64, d string) []string {
	t.Helper()
	fs, err := tb.Files(context.Background(), snapshot)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fs {
		if f.Date == d {
			out = append(out, strings.TrimPrefix(f.URL, "file://"))
		}
	}
	return out
}

func hiveFile(out string, w features.Window, ws int) string {
	if ws > 1 {
		return filepath.Join(out, "window="+w.String(), "date="+date, "part-00000.parquet")
	}
	return filepath.Join(out, "date="+date, "part-00000.parquet")
}

// An Iceberg run commits the same cells as the hive layout's Parquet: every
// table, every row, every column; window_start is TIMESTAMP WITH TIME ZONE.
func TestIcebergMatchesHive(t *testing.T) {
	in := setup(t)
	hiveOut, iceOut := t.TempDir(), t.TempDir()
	hcfg := config(t, in, hiveOut, nil)
	if _, err := job.Run(context.Background(), hcfg, job.Options{}); err != nil {
		t.Fatal(err)
	}
	icfg := iceConfig(t, in, iceOut, nil)
	sum, err := job.Run(context.Background(), icfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := windows(t, &icfg)
	if len(sum.Partitions) != len(ws) {
		t.Fatalf("partitions %+v, want one per window", sum.Partitions)
	}
	cat := open(t, &icfg)
	for i, w := range ws {
		p := sum.Partitions[i]
		if p.Status != job.StatusCommitted || p.SnapshotID == 0 {
			t.Errorf("partition %+v: want committed with a snapshot id", p)
		}
		tb, err := cat.OpenTable(context.Background(), iceberg.TableName(w))
		if err != nil {
			t.Fatal(err)
		}
		got := rows(t, snapshotFiles(t, tb, 0, date))
		want := rows(t, []string{hiveFile(hiveOut, w, len(ws))})
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d Iceberg rows differ from the %d hive rows", w, len(got), len(want))
			for k := range min(len(got), len(want)) {
				if got[k] != want[k] {
					t.Errorf("first difference:\n iceberg %s\n hive    %s", got[k], want[k])
					break
				}
			}
		}
		var typ string
		f := snapshotFiles(t, tb, 0, date)[0]
		if err := duck(t).QueryRow(fmt.Sprintf("SELECT typeof(window_start) FROM read_parquet('%s') LIMIT 1", f)).Scan(&typ); err != nil {
			t.Fatal(err)
		}
		if typ != "TIMESTAMP WITH TIME ZONE" {
			t.Errorf("window_start is %s, want TIMESTAMP WITH TIME ZONE", typ)
		}
	}
}

// A rerun of a date makes a new snapshot with exactly one run's rows; the
// previous snapshot still reads the old ones. --skip-committed skips a date
// committed from the same inputs and config.
func TestIcebergRerunAndSkip(t *testing.T) {
	in := setup(t)
	out := t.TempDir()
	cfg := iceConfig(t, in, out, map[string]string{"LOGSMITH_WINDOW": "5m"})
	first, err := job.Run(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := job.Run(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := first.Partitions[0].SnapshotID, second.Partitions[0].SnapshotID
	if s1 == 0 || s2 == 0 || s1 == s2 {
		t.Fatalf("snapshots %d then %d: want two", s1, s2)
	}
	tb, err := open(t, &cfg).OpenTable(context.Background(), "features_5m")
	if err != nil {
		t.Fatal(err)
	}
	now, before := rows(t, snapshotFiles(t, tb, 0, date)), rows(t, snapshotFiles(t, tb, s1, date))
	if len(now) != second.Partitions[0].Rows || strings.Join(now, "\n") != strings.Join(before, "\n") {
		t.Errorf("current snapshot %d rows, the previous %d: want one run's rows in each, equal", len(now), len(before))
	}
	cfg.SkipCommitted = true
	third, err := job.Run(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := third.Partitions[0]; p.Status != job.StatusSkipped || p.RunID != second.RunID || p.SnapshotID != s2 {
		t.Errorf("with --skip-committed: %+v, want skipped at run %s snapshot %d", p, second.RunID, s2)
	}
}

// Two runs of one date: the one that started first and commits last loses
// (exit 4) and the other's snapshot stands; runs of other dates commit.
func TestIcebergRaces(t *testing.T) {
	in := setup(t)
	out := t.TempDir()
	cfg := iceConfig(t, in, out, map[string]string{"LOGSMITH_WINDOW": "5m"})
	var inner *job.Summary
	var innerErr error
	_, err := job.Run(context.Background(), cfg, job.Options{AfterList: func(ctx context.Context) {
		inner, innerErr = job.Run(ctx, cfg, job.Options{})
	}})
	if innerErr != nil {
		t.Fatal(innerErr)
	}
	if failure.KindOf(err) != failure.KindLostRace || !errors.Is(err, table.ErrLostRace) || failure.ExitCode(err) != 4 {
		t.Fatalf("the earlier run: %v, want it to lose (exit 4)", err)
	}
	tb, err := open(t, &cfg).OpenTable(context.Background(), "features_5m")
	if err != nil {
		t.Fatal(err)
	}
	h, err := tb.Head(context.Background(), date)
	if err != nil || h == nil || h.RunID != inner.RunID || h.SnapshotID != inner.Partitions[0].SnapshotID {
		t.Fatalf("head %+v, %v; want the winner %s", h, err, inner.RunID)
	}
	// The loser leaves no sample of bad lines behind.
	runs, _ := os.ReadDir(filepath.Join(out, "_rejects", "date="+date))
	if len(runs) != 1 || runs[0].Name() != "run="+inner.RunID {
		t.Errorf("_rejects holds %v, want only the winner's", runs)
	}

	// Two runs listing their windows in different orders meet at the same
	// first table: the loser commits nothing, every table holds the winner.
	out2 := t.TempDir()
	a := iceConfig(t, in, out2, map[string]string{"LOGSMITH_WINDOW": "5m,1h/15m"})
	bcfg := iceConfig(t, in, out2, map[string]string{"LOGSMITH_WINDOW": "1h/15m,5m"})
	var winner *job.Summary
	var werr error
	_, err = job.Run(context.Background(), a, job.Options{AfterList: func(ctx context.Context) {
		winner, werr = job.Run(ctx, bcfg, job.Options{})
	}})
	if werr != nil || failure.ExitCode(err) != 4 {
		t.Fatalf("runs with windows in other orders: %v then %v; want the second to win and the first to lose", werr, err)
	}
	cat2 := open(t, &a)
	for _, name := range []string{"features_5m", "features_1h_15m"} {
		tb, err := cat2.OpenTable(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if h, err := tb.Head(context.Background(), date); err != nil || h == nil || h.RunID != winner.RunID {
			t.Errorf("%s holds %+v, %v; want run %s", name, h, err, winner.RunID)
		}
	}

	// Three dates at once, each its own snapshot, all land.
	var b settings.BackfillConfig
	if err := settings.ParseEnv(&b, map[string]string{"LOGSMITH_INPUT": in, "LOGSMITH_OUTPUT": out, "LOGSMITH_TABLE_FORMAT": "iceberg",
		"LOGSMITH_WINDOW": "5m", "LOGSMITH_FROM": "2025-11-08", "LOGSMITH_TO": "2025-11-10", "LOGSMITH_PARALLEL": "3", "LOGSMITH_FORCE": "true",
		"LOGSMITH_MAX_BAD_RATIO": "1", "LOGSMITH_GROUP_BY": "service", "LOGSMITH_STATUS_FIELD": "status",
		"LOGSMITH_BYTES_FIELD": "bytes", "LOGSMITH_DISTINCT_FIELD": "user_id"}); err != nil {
		t.Fatal(err)
	}
	res, err := job.Backfill(context.Background(), b, job.Options{}, nil)
	if err != nil {
		t.Fatalf("backfill: %v (%+v)", err, res)
	}
	heads, err := tb.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if h, ok := heads[r.Date]; !ok || h.RunID != r.RunID {
			t.Errorf("date %s: head %+v, want run %s", r.Date, h, r.RunID)
		}
	}
}

// A sharded run commits through the same path: its merge's rows equal an
// unsharded run's.
func TestIcebergShardedRun(t *testing.T) {
	in := setup(t)
	whole, sharded := t.TempDir(), t.TempDir()
	env := map[string]string{"LOGSMITH_WINDOW": "5m", "LOGSMITH_SPLIT_BYTES": "100000"}
	if _, err := job.Run(context.Background(), iceConfig(t, in, whole, env), job.Options{}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e := map[string]string{"LOGSMITH_SHARD": fmt.Sprintf("%d/3", i), "LOGSMITH_RUN_ID": "sharded-1"}
		for k, v := range env {
			e[k] = v
		}
		if _, err := job.Run(context.Background(), iceConfig(t, in, sharded, e), job.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	mcfg := iceConfig(t, in, sharded, map[string]string{"LOGSMITH_WINDOW": "5m", "LOGSMITH_RUN_ID": "sharded-1"})
	if _, err := job.Merge(context.Background(), mcfg, job.Options{}); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, out := range []string{sharded, whole} {
		c := iceConfig(t, in, out, env)
		tb, err := open(t, &c).OpenTable(context.Background(), "features_5m")
		if err != nil {
			t.Fatal(err)
		}
		r := rows(t, snapshotFiles(t, tb, 0, date))
		if out == sharded {
			got = r
		} else {
			want = r
		}
	}
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the merged shards' %d rows differ from the whole run's %d", len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(sharded, "_partials")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(sharded, "_partials"))
		if len(entries) > 0 {
			t.Errorf("partials left after the merge: %v", entries)
		}
	}
}
