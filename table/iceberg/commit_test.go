package iceberg_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

func meta(run int64) iceberg.CommitMeta {
	return iceberg.CommitMeta{
		RunID: "run-" + strconv.FormatInt(run, 10), Version: "v9.9.9", ConfigHash: "cfg" + strconv.FormatInt(run, 10), Events: 1000 + run,
		Inputs: []table.Input{{URL: "s3://logs/a.jsonl.gz", Size: 123, ETag: "etag-a"}, {URL: "s3://logs/b\xff.jsonl", Size: 7, ETag: "etag-b"}},
	}
}

func TestTableName(t *testing.T) {
	for w, want := range map[features.Window]string{
		{Size: 5 * time.Minute}:                          "features_5m",
		{Size: 15 * time.Minute, Slide: 5 * time.Minute}: "features_15m_5m",
		{Size: time.Hour}:                                "features_1h",
		{Size: 90 * time.Second}:                         "features_1m30s",
	} {
		if got := iceberg.TableName(w); got != want {
			t.Errorf("TableName(%v) = %s, want %s", w, got, want)
		}
	}
}

// TestCommitAndRead commits dates of two window tables, reads every table
// back with iceberg-go's scan and compares every cell; the heads, the
// snapshot summaries and the input ledger say which run committed what.
func TestCommitAndRead(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		dates := []string{"2025-11-08", "2025-11-09", "2025-11-10"}
		written := map[string]map[string][]features.Row{}
		for _, w := range []features.Window{win5m, {Size: 15 * time.Minute, Slide: 5 * time.Minute}} {
			tb, err := c.Table(ctx, w, fullCols)
			if err != nil {
				t.Fatal(err)
			}
			written[tb.Name()] = map[string][]features.Row{}
			for i, d := range dates {
				rows := genRows(d, 20+i, int64(i+1))
				h, err := tb.CommitDate(ctx, d, rows, meta(int64(i+1)), nil)
				if err != nil {
					t.Fatalf("commit %s %s: %v", tb.Name(), d, err)
				}
				if h.SnapshotID == 0 || h.RunID != meta(int64(i+1)).RunID || h.Rows != int64(len(rows)) || h.CommittedAt.IsZero() {
					t.Errorf("head of %s = %+v", d, h)
				}
				written[tb.Name()][d] = rows
			}
		}
		names, err := c.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"features_15m_5m", "features_5m"}; !slices.Equal(names, want) {
			t.Fatalf("tables = %v, want %v", names, want)
		}
		// A second process opens the catalog and reads everything back.
		c2 := open(t, s.opts)
		for _, name := range names {
			tb, err := c2.OpenTable(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			got := readDates(t, tb, 0, fullCols)
			if len(got) != len(dates) {
				t.Fatalf("%s: dates %d, want %d", name, len(got), len(dates))
			}
			for _, d := range dates {
				sameRows(t, name+" "+d, got[d], written[name][d])
			}
			heads, err := tb.Heads(ctx)
			if err != nil {
				t.Fatal(err)
			}
			snaps, err := tb.Snapshots(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(snaps) != len(dates) {
				t.Fatalf("%s: %d snapshots, want %d", name, len(snaps), len(dates))
			}
			for i, d := range dates {
				h, ok := heads[d]
				m := meta(int64(i + 1))
				if !ok || h.RunID != m.RunID || h.ConfigHash != m.ConfigHash || h.Version != "v9.9.9" || h.Events != m.Events {
					t.Errorf("%s head %s = %+v", name, d, h)
				}
				sn := snaps[i]
				if sn.ID != h.SnapshotID || sn.Date != d || sn.RunID != h.RunID || sn.Rows != h.Rows || sn.Events != h.Events || sn.Inputs != h.Inputs || sn.Operation != "append" {
					t.Errorf("%s snapshot %d = %+v, head %+v", name, i, sn, h)
				}
				// The ledger beside the metadata lists the inputs (a URL
				// that is not UTF-8 included).
				ledger, err := tb.Ledger(ctx, &h)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ledger, m.Inputs) {
					t.Errorf("ledger = %+v, want %+v", ledger, m.Inputs)
				}
			}
			files, err := tb.Files(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(dates) {
				t.Fatalf("%s: %d files, want one per date: %+v", name, len(files), files)
			}
			for i, f := range files {
				if f.Date != dates[i] || f.Rows != int64(len(written[name][dates[i]])) || f.Size == 0 {
					t.Errorf("file %+v", f)
				}
			}
			duckCheck(t, tb, files, written[name])
		}
	})
}

// TestRerunDate commits a date twice: the current snapshot holds exactly
// the second run's rows, the first snapshot still reads the first run's,
// and other dates are untouched. A run that read the head before the
// rerun committed loses.
func TestRerunDate(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		other := genRows("2025-11-07", 10, 9)
		if _, err := tb.CommitDate(ctx, "2025-11-07", other, meta(9), nil); err != nil {
			t.Fatal(err)
		}
		d := "2025-11-08"
		first := genRows(d, 30, 1)
		h1, err := tb.CommitDate(ctx, d, first, meta(1), nil)
		if err != nil {
			t.Fatal(err)
		}
		second := genRows(d, 12, 2) // fewer windows: no row of run 1 may survive
		h2, err := tb.CommitDate(ctx, d, second, meta(2), &h1)
		if err != nil {
			t.Fatal(err)
		}
		cur := readDates(t, tb, 0, fullCols)
		sameRows(t, "current "+d, cur[d], second)
		sameRows(t, "current other date", cur["2025-11-07"], other)
		old := readDates(t, tb, h1.SnapshotID, fullCols)
		sameRows(t, "previous snapshot "+d, old[d], first)
		snaps, err := tb.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := snaps[len(snaps)-1]
		if !last.Current || last.ID != h2.SnapshotID || last.Operation != "overwrite" || last.ParentID != h1.SnapshotID {
			t.Errorf("last snapshot = %+v", last)
		}
		// A run that read h1 (or nothing) before run 2 committed loses.
		for _, stale := range []*iceberg.Head{&h1, nil} {
			_, err = tb.CommitDate(ctx, d, genRows(d, 5, 3), meta(3), stale)
			if !errors.Is(err, table.ErrLostRace) {
				t.Fatalf("stale commit: %v, want ErrLostRace", err)
			}
		}
		sameRows(t, "after lost races", readDates(t, tb, 0, fullCols)[d], second)
		// A rerun with no rows empties the date.
		h3, err := tb.CommitDate(ctx, d, nil, meta(4), &h2)
		if err != nil {
			t.Fatal(err)
		}
		if got := readDates(t, tb, 0, fullCols); len(got[d]) != 0 || len(got["2025-11-07"]) != len(other) {
			t.Errorf("after empty rerun: %d rows of %s, %d of the other date", len(got[d]), d, len(got["2025-11-07"]))
		}
		if h3.Rows != 0 || h3.RunID != "run-4" {
			t.Errorf("empty head = %+v", h3)
		}
		// Rows of another date are refused.
		if _, err := tb.CommitDate(ctx, "2025-11-09", genRows(d, 1, 5), meta(5), nil); err == nil {
			t.Error("rows of another date committed")
		}
	})
}

// TestConcurrentDates commits three dates at once from three catalogs (as
// three backfill pods would), which also race to create the table: all
// land.
func TestConcurrentDates(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		dates := []string{"2025-11-08", "2025-11-09", "2025-11-10"}
		var wg sync.WaitGroup
		errs := make([]error, len(dates))
		for i, d := range dates {
			pod := open(t, s.opts)
			wg.Go(func() {
				tb, err := pod.Table(ctx, win5m, fullCols)
				if err == nil {
					_, err = tb.CommitDate(ctx, d, genRows(d, 15, int64(i+1)), meta(int64(i+1)), nil)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("commit %s: %v", dates[i], err)
			}
		}
		tb := table5m(t, c)
		got := readDates(t, tb, 0, fullCols)
		heads, err := tb.Heads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range dates {
			sameRows(t, d, got[d], genRows(d, 15, int64(i+1)))
			if heads[d].RunID != meta(int64(i+1)).RunID {
				t.Errorf("head %s = %+v", d, heads[d])
			}
		}
	})
}

// TestRaceSameDate races two runs of one date, both having read no head:
// exactly one wins, the other gets ErrLostRace, and the table holds the
// winner's rows.
func TestRaceSameDate(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		table5m(t, c) // created before the rounds race on it
		d := "2025-11-08"
		for round := range 3 {
			tb := table5m(t, c)
			base, err := tb.Head(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, 2)
			for i := range 2 {
				pod := open(t, s.opts)
				run := int64(10*round + i + 1)
				wg.Go(func() {
					tb, err := pod.Table(ctx, win5m, fullCols)
					if err != nil {
						errs[i] = err
						return
					}
					<-start
					_, errs[i] = tb.CommitDate(ctx, d, genRows(d, 8+i, run), meta(run), base)
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil:
					if winner >= 0 {
						t.Fatalf("round %d: both runs committed", round)
					}
					winner = i
				case !errors.Is(err, table.ErrLostRace):
					t.Fatalf("round %d: run %d: %v, want ErrLostRace", round, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no run committed: %v", round, errs)
			}
			run := int64(10*round + winner + 1)
			sameRows(t, "winner's rows", readDates(t, tb, 0, fullCols)[d], genRows(d, 8+winner, run))
			h, err := tb.Head(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if h.RunID != meta(run).RunID {
				t.Errorf("round %d: head %+v, want run %d", round, h, run)
			}
		}
	})
}

// No commit writes an input ledger that could not be read back: one over
// the bound is refused before the commit, which leaves the date as it was,
// and a ledger read back over the bound says so.
func TestLedgerSizeLimit(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		c := open(t, s.opts)
		tb := table5m(t, c)
		d := "2025-11-08"
		rows := genRows(d, 3, 1)
		h1, err := tb.CommitDate(ctx, d, rows, meta(1), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer iceberg.SetMaxLedger(1000)()
		big := meta(2)
		for i := range 50 {
			big.Inputs = append(big.Inputs, table.Input{URL: "s3://logs/part-" + strconv.Itoa(i) + ".jsonl", Size: 1, ETag: "e"})
		}
		if _, err := tb.CommitDate(ctx, d, genRows(d, 5, 2), big, &h1); !errors.Is(err, table.ErrManifestTooLarge) {
			t.Fatalf("commit with an oversized ledger: %v, want ErrManifestTooLarge", err)
		}
		sameRows(t, "after the refused commit", readDates(t, tb, 0, fullCols)[d], rows)
		cur, err := tb.Head(ctx, d)
		if err != nil || cur == nil || cur.RunID != "run-1" {
			t.Fatalf("head after the refused commit: %+v, %v", cur, err)
		}
		iceberg.SetMaxLedger(10)
		if _, err := tb.Ledger(ctx, cur); !errors.Is(err, table.ErrManifestTooLarge) {
			t.Fatalf("read of an oversized ledger: %v", err)
		}
	})
}
