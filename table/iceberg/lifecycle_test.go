package iceberg_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
	ice "github.com/logsmith/logsmith/table/iceberg"
)

// runOf is the run number genRows wrote into a row.
func runOf(h ice.Head) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(h.RunID, "run-"), 10, 64)
	return n
}

// checkConsistent opens the catalog afresh and checks that the table loads
// (its metadata pointer leads to a readable metadata file), that every
// date holds exactly the rows of the run its head names, and that every
// data file of the current snapshot exists.
func checkConsistent(t *testing.T, o ice.Options, name string) map[string]ice.Head {
	t.Helper()
	ctx := context.Background()
	c := open(t, o)
	tb, err := c.OpenTable(ctx, name)
	if err != nil {
		t.Fatalf("table does not load: %v", err)
	}
	heads, at, err := tb.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	rows, _ := rowsOf(t, at, fullCols)
	got := map[string][]features.Row{}
	for _, r := range rows {
		got[r.WindowStart.Format(time.DateOnly)] = append(got[r.WindowStart.Format(time.DateOnly)], r)
	}
	for d, h := range heads {
		rows := got[d]
		if int64(len(rows)) != h.Rows {
			t.Fatalf("date %s: %d rows, head %+v", d, len(rows), h)
		}
		for _, r := range rows {
			if r.DistinctCount != runOf(h) {
				t.Fatalf("date %s: a row of run %d, head %+v", d, r.DistinctCount, h)
			}
		}
	}
	for d := range got {
		if _, ok := heads[d]; !ok {
			t.Fatalf("date %s has rows but no head", d)
		}
	}
	files, err := tb.Files(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := tb.ReadFile(ctx, f.URL); err != nil {
			t.Fatalf("data file of the current snapshot: %v", err)
		}
	}
	return heads
}

// TestCancelledCommit cancels commits at many points: the table is always
// at its previous snapshot or at the new one, complete, and a cancelled
// commit that did not land leaves the head as it was.
func TestCancelledCommit(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		d := "2025-11-08"
		if _, err := tb.CommitDate(ctx, d, genRows(d, 10, 1), meta(1), nil); err != nil {
			t.Fatal(err)
		}
		// Deadlines from 0 doubling from 200µs: the early ones end the
		// commit before it reaches the catalog, the later ones at every
		// step after, until commits land (on a slow machine, later).
		var landed, refused int
		attempted := map[int64]bool{}
		for i := 0; i < 14 || landed == 0; i++ {
			if i == 24 {
				t.Fatal("no commit landed even with a deadline of minutes")
			}
			delay := time.Duration(0)
			if i > 0 {
				delay = 100 * time.Microsecond << i
			}
			before, err := tb.Head(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			run := int64(100 + i)
			attempted[run] = true
			cctx, cancel := context.WithTimeout(ctx, delay)
			_, err = tb.CommitDate(cctx, d, genRows(d, 10+i, run), meta(run), before)
			cancel()
			after := checkConsistent(t, s.opts, tb.Name())[d]
			switch {
			case err == nil:
				landed++
				if runOf(after) != run {
					t.Fatalf("commit of run %d returned nil, head %+v", run, after)
				}
			case runOf(after) == run:
				landed++ // cancelled after the catalog applied it
			case after.SnapshotID == before.SnapshotID && after.CommittedAt.Equal(before.CommittedAt):
				refused++
			case attempted[runOf(after)] && runOf(after) > runOf(*before):
				// A REST server finishing, after this attempt read the
				// head, a commit whose client had given up: still one
				// whole commit.
				t.Logf("run %d's cancelled commit landed late", runOf(after))
			default:
				t.Fatalf("cancelled commit of run %d left head %+v, was %+v", run, after, before)
			}
			if err != nil && runOf(after) != run {
				if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "context") {
					t.Logf("cancelled commit of run %d: %v", run, err)
				}
			}
		}
		t.Logf("%d cancelled commits refused, %d landed", refused, landed)
		if refused == 0 {
			t.Errorf("no cancelled commit was refused")
		}
	})
}

// TestKillHelper is the process TestKilledCommit kills: it commits one
// date again and again until it is killed.
func TestKillHelper(t *testing.T) {
	cfg := os.Getenv("LOGSMITH_ICEBERG_KILL_HELPER")
	if cfg == "" {
		t.Skip("runs only as TestKilledCommit's subprocess")
	}
	var o ice.Options
	if err := json.Unmarshal([]byte(cfg), &o); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := ice.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	tb := table5m(t, c)
	d := "2025-11-08"
	for i := 0; ; i++ {
		h, err := tb.Head(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		run := int64(1000 + i)
		_, err = tb.CommitDate(ctx, d, genRows(d, 10+i%7, run), meta(run), h)
		if errors.Is(err, table.ErrLostRace) {
			// A REST server finished the commit of the process killed
			// before this one after this one read the head.
			fmt.Println("lost race", run)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("committed", run)
	}
}

// TestKilledCommit kills (SIGKILL) a process in the middle of committing,
// at random points, several times: each time the table loads, holds one
// run's rows, and a later commit and GC work. GC then removes what the
// killed commits left behind without touching live files.
func TestKilledCommit(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		cfg, err := json.Marshal(s.opts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "LOGSMITH_ICEBERG_KILL_HELPER="+string(cfg))
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if strings.Contains(out.String(), "FAIL") {
				t.Fatalf("helper failed before it was killed:\n%s", out)
			}
			t.Logf("kill %d: %d commits before", i, strings.Count(out.String(), "committed"))
			checkConsistent(t, s.opts, tb.Name())
		}
		d := "2025-11-08"
		// A REST server may finish the killed process's last commit
		// after the head is read (the request had reached it): that is
		// a lost race, and the commit is tried again on the new head.
		for attempt := 0; ; attempt++ {
			h, err := tb.Head(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			_, err = tb.CommitDate(ctx, d, genRows(d, 3, 7), meta(7), h)
			if errors.Is(err, table.ErrLostRace) && attempt < 10 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if err != nil {
				t.Fatalf("commit after the kills: %v", err)
			}
			break
		}
		if _, err := tb.GC(ctx, ice.GCOptions{ExpireOlderThan: time.Nanosecond, RetainLast: 1, OrphanOlderThan: time.Nanosecond}); err != nil {
			t.Fatal(err)
		}
		heads := checkConsistent(t, s.opts, tb.Name())
		if runOf(heads[d]) != 7 {
			t.Errorf("head after kills = %+v", heads[d])
		}
	})
}

// TestGC expires all but the last two snapshots and removes orphan files:
// the retained snapshots still read their rows, their files and the heads'
// input ledgers remain, and a stray file and the expired commits' ledgers
// are gone.
func TestGC(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		a, b := "2025-11-08", "2025-11-09"
		var heads []ice.Head
		var prev *ice.Head
		for run := int64(1); run <= 3; run++ {
			h, err := tb.CommitDate(ctx, a, genRows(a, 6+int(run), run), meta(run), prev)
			if err != nil {
				t.Fatal(err)
			}
			heads, prev = append(heads, h), &h
		}
		hb, err := tb.CommitDate(ctx, b, genRows(b, 5, 4), meta(4), nil)
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, hb)
		loc, err := tb.Location(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stray := loc + "/data/window_start_day=2025-11-08/stray.parquet"
		if err := tb.WriteFile(ctx, stray, []byte("not referenced")); err != nil {
			t.Fatal(err)
		}
		run1Files, err := tb.Files(ctx, heads[0].SnapshotID)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)

		res, err := tb.GC(ctx, ice.GCOptions{ExpireOlderThan: time.Nanosecond, RetainLast: 2, OrphanOlderThan: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.ExpiredSnapshots != 2 {
			t.Errorf("expired %d snapshots, want 2", res.ExpiredSnapshots)
		}
		snaps, err := tb.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, sn := range snaps {
			ids = append(ids, sn.ID)
		}
		if want := []int64{heads[2].SnapshotID, heads[3].SnapshotID}; !slices.Equal(ids, want) {
			t.Fatalf("snapshots after GC %v, want %v", ids, want)
		}
		// Retained snapshots read their rows, their files are there.
		sameRows(t, "retained snapshot", readDates(t, tb, heads[2].SnapshotID, fullCols)[a], genRows(a, 9, 3))
		cur := readDates(t, tb, 0, fullCols)
		sameRows(t, "current "+a, cur[a], genRows(a, 9, 3))
		sameRows(t, "current "+b, cur[b], genRows(b, 5, 4))
		for _, id := range ids {
			files, err := tb.Files(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if _, err := tb.ReadFile(ctx, f.URL); err != nil {
					t.Errorf("live file removed: %v", err)
				}
			}
		}
		for _, h := range heads[2:] {
			if _, err := tb.ReadFile(ctx, h.Inputs); err != nil {
				t.Errorf("ledger of a retained snapshot removed: %v", err)
			}
		}
		for _, gone := range []string{stray, heads[0].Inputs, run1Files[0].URL} {
			if _, err := tb.ReadFile(ctx, gone); err == nil {
				t.Errorf("%s survived GC", gone)
			}
		}
		if !slices.ContainsFunc(res.RemovedFiles, func(f string) bool { return strings.HasSuffix(f, "stray.parquet") }) {
			t.Errorf("removed files %v lack the stray file", res.RemovedFiles)
		}
		checkConsistent(t, s.opts, tb.Name())
		// A fresh GC with a week's retention (logsmith's default) and the
		// default 3 days for orphans removes nothing.
		res, err = tb.GC(ctx, ice.GCOptions{ExpireOlderThan: 168 * time.Hour})
		if err != nil || res.ExpiredSnapshots != 0 || len(res.RemovedFiles) != 0 {
			t.Errorf("second GC = %+v, %v", res, err)
		}
		if _, err := tb.CommitDate(ctx, b, genRows(b, 2, 5), meta(5), &hb); err != nil {
			t.Fatalf("commit after GC: %v", err)
		}
	})
}

// TestSchemaEvolution writes a table with fewer columns (a logsmith
// without the status, bytes and distinct features), then opens it with all
// columns: the columns are added, old rows read them as null, new rows
// have them. Changes of meaning are refused.
func TestSchemaEvolution(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		few := features.Columns{Dims: fullCols.Dims}
		old, err := c.Table(ctx, win5m, few)
		if err != nil {
			t.Fatal(err)
		}
		d1, d2 := "2025-11-08", "2025-11-09"
		oldRows := genRows(d1, 4, 1)
		for i := range oldRows { // what a run with fewer columns computes
			r := &oldRows[i]
			r.Status2xx, r.Status3xx, r.Status4xx, r.Status5xx, r.BytesSum, r.DistinctCount = 0, 0, 0, 0, 0, 0
		}
		if _, err := old.CommitDate(ctx, d1, oldRows, meta(1), nil); err != nil {
			t.Fatal(err)
		}
		tb, err := c.Table(ctx, win5m, fullCols)
		if err != nil {
			t.Fatalf("evolve: %v", err)
		}
		if _, err := tb.CommitDate(ctx, d2, genRows(d2, 4, 2), meta(2), nil); err != nil {
			t.Fatal(err)
		}
		at, err := tb.Scan(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer at.Release()
		rows, nulls := rowsOf(t, at, fullCols)
		for _, col := range []string{"status_2xx", "status_3xx", "status_4xx", "status_5xx", "bytes_sum", "distinct_count"} {
			if nulls[col] != len(oldRows) {
				t.Errorf("%s: %d nulls, want %d (the old rows)", col, nulls[col], len(oldRows))
			}
		}
		byDate := map[string][]features.Row{}
		for _, r := range rows {
			byDate[r.WindowStart.Format(time.DateOnly)] = append(byDate[r.WindowStart.Format(time.DateOnly)], r)
		}
		for _, rs := range byDate {
			sortRows(rs)
		}
		sameRows(t, "old rows", byDate[d1], oldRows)
		sameRows(t, "new rows", byDate[d2], genRows(d2, 4, 2))
		// The run with fewer columns can still write (the added columns
		// are optional), and its rows read as null there.
		if _, err := old.CommitDate(ctx, "2025-11-10", oldRows[:0], meta(3), nil); err != nil {
			t.Errorf("commit with fewer columns after evolution: %v", err)
		}
		// Opening again changes nothing.
		raw, err := tb.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		schemaID := raw.Schema().ID
		if _, err := c.Table(ctx, win5m, fullCols); err != nil {
			t.Fatal(err)
		}
		if raw, _ = tb.Load(ctx); raw.Schema().ID != schemaID {
			t.Errorf("reopening evolved the schema again: %d, was %d", raw.Schema().ID, schemaID)
		}
		// The name mapping (for files without field ids) names the added
		// columns too.
		if nm := raw.Properties()["schema.name-mapping.default"]; !strings.Contains(nm, `"distinct_count"`) {
			t.Errorf("name mapping after evolution: %s", nm)
		}

		// Refused: another grouping, another window, another major
		// schema version, a column of another type.
		if _, err := c.Table(ctx, win5m, features.Columns{Dims: []string{"service"}, Status: true, Bytes: true, Distinct: true}); !errors.Is(err, ice.ErrIncompatible) {
			t.Errorf("other group-by: %v, want ErrIncompatible", err)
		}
		for prop, v := range map[string]string{"logsmith.window": "10m", "logsmith.schema-version": "1.4"} {
			setProp(t, c, tb.Name(), prop, v)
			_, err := c.Table(ctx, win5m, fullCols)
			if !errors.Is(err, ice.ErrIncompatible) {
				t.Errorf("table property %s=%s: %v, want ErrIncompatible", prop, v, err)
			} else {
				t.Logf("refused: %v", err)
			}
			setProp(t, c, tb.Name(), prop, map[string]string{"logsmith.window": "5m", "logsmith.schema-version": features.SchemaVersion}[prop])
		}
		if _, err := c.Table(ctx, win5m, fullCols); err != nil {
			t.Fatalf("properties restored: %v", err)
		}
		// A table whose request_count is an int (32 bits), made by hand.
		sc := iceberg.NewSchema(0,
			iceberg.NestedField{ID: 1, Name: "window_start", Type: iceberg.PrimitiveTypes.TimestampTz, Required: true},
			iceberg.NestedField{ID: 2, Name: "request_count", Type: iceberg.PrimitiveTypes.Int32, Required: true})
		w10 := features.Window{Size: 10 * time.Minute}
		_, err = c.Raw().CreateTable(ctx, c.Ident(ice.TableName(w10)), sc, catalog.WithProperties(iceberg.Properties{
			"logsmith.window": "10m", "logsmith.dimensions": "service,method", "logsmith.schema-version": features.SchemaVersion,
		}), catalog.WithLocation(strings.TrimSuffix(s.opts.Warehouse, "/")+"/byhand"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Table(ctx, w10, fullCols); !errors.Is(err, ice.ErrIncompatible) || !strings.Contains(err.Error(), "request_count") {
			t.Errorf("int request_count: %v, want ErrIncompatible naming it", err)
		}
		// Our columns, but not partitioned by day: replacing a date's files
		// would replace other dates' rows too.
		w1h := features.Window{Size: time.Hour}
		_, err = c.Raw().CreateTable(ctx, c.Ident(ice.TableName(w1h)), raw.Schema(), catalog.WithProperties(iceberg.Properties{
			"logsmith.window": "1h", "logsmith.dimensions": "service,method", "logsmith.schema-version": features.SchemaVersion,
		}), catalog.WithLocation(strings.TrimSuffix(s.opts.Warehouse, "/")+"/unpartitioned"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Table(ctx, w1h, fullCols); !errors.Is(err, ice.ErrIncompatible) || !strings.Contains(err.Error(), "day(window_start)") {
			t.Errorf("unpartitioned table: %v, want ErrIncompatible", err)
		}
	})
}

func setProp(t *testing.T, c *ice.Catalog, name, k, v string) {
	t.Helper()
	ctx := context.Background()
	tbl, err := c.Raw().LoadTable(ctx, c.Ident(name))
	if err != nil {
		t.Fatal(err)
	}
	tx := tbl.NewTransaction()
	if err := tx.SetProperties(iceberg.Properties{k: v}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestGCDuringCommits expires snapshots in a loop while another catalog
// commits dates: every commit lands and the table stays whole (the files
// of the current snapshot exist, each date holds one run's rows).
func TestGCDuringCommits(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		done := make(chan struct{})
		gcErr := make(chan error, 1)
		gcs := 0
		go func() {
			gc := open(t, s.opts)
			gtb, err := gc.OpenTable(ctx, tb.Name())
			for err == nil {
				select {
				case <-done:
					gcErr <- nil
					return
				default:
				}
				_, err = gtb.GC(ctx, ice.GCOptions{ExpireOlderThan: time.Nanosecond, RetainLast: 1, OrphanOlderThan: -1})
				gcs++
				time.Sleep(20 * time.Millisecond)
			}
			gcErr <- err
		}()
		for i := range 6 {
			d := fmt.Sprintf("2025-11-%02d", 8+i%3)
			h, err := tb.Head(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tb.CommitDate(ctx, d, genRows(d, 4+i, int64(i+1)), meta(int64(i+1)), h); err != nil {
				t.Fatalf("commit %d during GC: %v", i, err)
			}
		}
		close(done)
		if err := <-gcErr; err != nil {
			t.Fatalf("GC during commits: %v", err)
		}
		t.Logf("%d GC runs during 6 commits", gcs)
		heads := checkConsistent(t, s.opts, tb.Name())
		if len(heads) != 3 {
			t.Errorf("heads %v", heads)
		}
	})
}
