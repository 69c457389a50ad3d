package icebergfmt

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// Format is one run's Iceberg tables in a catalog, one per window spec.
type Format struct {
	// Catalog holds the tables; nil for a dry run whose catalog does not
	// exist yet (a local output's default SQLite file): no table has a
	// commit, and nothing is opened that would create it.
	Catalog *iceberg.Catalog
	Windows []features.Window
	Columns features.Columns
	// Expiry holds the snapshot expiry after a commit (orphan removal
	// walks the whole table: logsmith gc does it).
	Expiry iceberg.GCOptions
	// Output is the warehouse as an output of package table, and
	// OutputGC the collection of its rejects and partials after a commit
	// (Now and Dates are set per collection).
	Output   table.Output
	OutputGC table.GCOptions
	Now      func() time.Time
	Log      *slog.Logger

	tables map[string]*iceberg.Table // by window
	heads  []*iceberg.Head           // a dated run's date's, as Start read them
}

// Close closes the catalog.
func (f *Format) Close() error {
	if f.Catalog == nil {
		return nil
	}
	return f.Catalog.Close()
}

// key names window w's Iceberg table in a run's heads (shard partials
// carry them), apart from any folder of the hive layout: "iceberg:" and
// the table's name.
func key(w features.Window) string { return "iceberg:" + iceberg.TableName(w) }

// headID identifies the commit a date's head holds; "" for none.
func headID(h *iceberg.Head) string {
	if h == nil {
		return ""
	}
	return strconv.FormatInt(h.SnapshotID, 10) + "/" + h.RunID + "/" + h.CommittedAt.UTC().Format(time.RFC3339Nano)
}

// incompatible marks a table whose committed rows the run would change
// the meaning of (iceberg.ErrIncompatible) as table.ErrShapeChanged: a
// setting to fix, whatever the format.
type incompatible struct{ error }

func (e incompatible) Unwrap() error        { return e.error }
func (e incompatible) Is(target error) bool { return target == table.ErrShapeChanged }

func tableErr(err error) error {
	if errors.Is(err, iceberg.ErrIncompatible) {
		return incompatible{err}
	}
	return err
}

// Start checks the run's tables (changing nothing: Commit creates or
// evolves them) and returns their heads by Key: a dated run's date's, or
// every date's.
func (f *Format) Start(ctx context.Context, date string) (map[string]map[string]string, error) {
	all := map[string]map[string]string{}
	f.tables, f.heads = map[string]*iceberg.Table{}, nil
	for _, w := range f.Windows {
		if f.Catalog == nil {
			all[key(w)] = map[string]string{}
			continue
		}
		t, err := f.Catalog.Prepare(ctx, w, f.Columns)
		if err != nil {
			return nil, tableErr(err)
		}
		f.tables[w.String()] = t
		heads := map[string]string{}
		if date == "" {
			hs, err := t.Heads(ctx)
			if err != nil {
				return nil, err
			}
			for d, h := range hs {
				heads[d] = headID(&h)
			}
		} else {
			h, err := t.Head(ctx, date)
			if err != nil {
				return nil, err
			}
			if h != nil {
				heads[date] = headID(h)
				f.heads = append(f.heads, h)
			}
		}
		all[key(w)] = heads
	}
	return all, nil
}

// Committed returns the partitions of date, skipped, when every table of
// the date is committed (as Start read it) from the same config and the
// same input objects; nil otherwise, also when a ledger cannot be read.
func (f *Format) Committed(ctx context.Context, date string, inputs []table.Input, configHash string) []table.Result {
	if len(f.heads) != len(f.Windows) {
		return nil
	}
	var res []table.Result
	for i, w := range f.Windows {
		h := f.heads[i]
		if h.ConfigHash != configHash {
			return nil
		}
		ledger, err := f.tables[w.String()].Ledger(ctx, h)
		if err != nil || !slices.Equal(ledger, inputs) {
			return nil
		}
		res = append(res, table.Result{Window: w.String(), Date: date, Status: table.StatusSkipped, RunID: h.RunID, Rows: int(h.Rows),
			SnapshotID: h.SnapshotID, SnapshotIDStr: strconv.FormatInt(h.SnapshotID, 10)})
	}
	return res
}

// CommittedBy returns the partitions of date, skipped, when every table
// holds a commit of it by run runID; nil otherwise. Start must have run.
func (f *Format) CommittedBy(ctx context.Context, date, runID string) ([]table.Result, error) {
	var res []table.Result
	for _, w := range f.Windows {
		h, err := f.tables[w.String()].Head(ctx, date)
		if err != nil {
			return nil, err
		}
		if h == nil || h.RunID != runID {
			return nil, nil
		}
		res = append(res, table.Result{Window: w.String(), Date: date, Status: table.StatusSkipped, RunID: h.RunID, Rows: int(h.Rows), SnapshotID: h.SnapshotID})
	}
	return res, nil
}

// Commit commits each date of each table as one snapshot, against the
// head the run started from (b.Heads): a date another run committed since
// fails it with table.ErrLostRace, the dates committed before it stand.
// Every check passes before any table is created or evolved. Start must
// have run.
func (f *Format) Commit(ctx context.Context, b *table.Batch) (table.Outcome, error) {
	var out table.Outcome
	r := b.Record
	meta := iceberg.CommitMeta{RunID: r.RunID, Version: r.Version, ConfigHash: r.ConfigHash, Inputs: r.Inputs}
	var todo []pending
	for _, w := range f.Windows {
		t := f.tables[w.String()]
		rows, err := b.Rows.All(w)
		if err != nil {
			return out, err
		}
		byDate := splitByDate(rows)
		dates := b.Rows.Dates(slices.Sorted(maps.Keys(byDate)))
		for _, d := range dates {
			out.Rows += len(byDate[d])
		}
		// The table's heads now, read once for all its dates (none
		// without a catalog: a dry run's before the first commit).
		heads := map[string]iceberg.Head{}
		if t != nil {
			if heads, err = t.Heads(ctx); err != nil {
				return out, err
			}
		}
		for _, d := range dates {
			var h *iceberg.Head
			if hd, ok := heads[d]; ok {
				h = &hd
			}
			if headID(h) != b.Heads[key(w)][d] {
				winner := "unknown"
				if h != nil {
					winner = h.RunID
				}
				return out, fmt.Errorf("commit %s of %s: run %s committed it after this run started: %w",
					d, t.Identifier(), winner, table.ErrLostRace)
			}
			if h != nil {
				if err := b.NotWorse(d, t.Identifier(), h.RunID, requests(byDate[d]), h.Events, true); err != nil {
					return out, err
				}
			}
			todo = append(todo, pending{w: w, date: d, rows: byDate[d], head: h})
		}
	}
	// Every run commits its partitions in one order (table name, then
	// date), as the hive layout claims them in key order: two runs of a
	// date meet at the same first partition, and the one that loses there
	// has committed nothing.
	slices.SortFunc(todo, func(a, b pending) int {
		return cmp.Or(cmp.Compare(iceberg.TableName(a.w), iceberg.TableName(b.w)), cmp.Compare(a.date, b.date))
	})
	if b.DryRun {
		f.plan(b, todo, &out)
		return out, nil
	}
	// Only now, with every check passed, are the tables created or given
	// their new columns: a run refused above changes nothing.
	for _, p := range todo {
		if t := f.tables[p.w.String()]; t.Writable() {
			continue
		}
		t, err := f.Catalog.Table(ctx, p.w, f.Columns)
		if err != nil {
			return out, tableErr(err)
		}
		f.tables[p.w.String()] = t
	}
	for i, p := range todo {
		t := f.tables[p.w.String()]
		if b.BeforePublish != nil {
			b.BeforePublish(ctx, p.date)
		}
		if b.Phase != nil {
			b.Phase("committing date " + p.date)
		}
		m := meta
		m.Events = requests(p.rows)
		// Once the first partition is committed, a cancellation (SIGTERM)
		// does not stop the run half-way through its partitions: each
		// commit is bounded instead.
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if i > 0 {
			cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		}
		h, err := t.CommitDate(cctx, p.date, p.rows, m, p.head)
		cancel()
		if err != nil {
			out.Partitions = append(out.Partitions, table.Result{Window: p.w.String(), Date: p.date, Status: table.StatusLost, RunID: r.RunID})
			return out, err
		}
		out.Partitions = append(out.Partitions, table.Result{Window: p.w.String(), Date: p.date, Status: table.StatusCommitted,
			RunID: r.RunID, Rows: len(p.rows), SnapshotID: h.SnapshotID, SnapshotIDStr: strconv.FormatInt(h.SnapshotID, 10)})
		// The id as a string, as in --json: a JSON log would round the number.
		b.Log.Info("committed", "table", t.Identifier(), "date", p.date, "snapshot_id", strconv.FormatInt(h.SnapshotID, 10), "rows", len(p.rows))
	}
	return out, nil
}

// pending is a date of a table that Commit is to commit: its rows and the
// head it replaces (nil for none).
type pending struct {
	w    features.Window
	date string
	rows []features.Row
	head *iceberg.Head
}

// plan records, instead of committing them, the dates a dry run would
// commit and the commits they would replace, having passed every check a
// commit makes (the race and the events) and created nothing.
func (f *Format) plan(b *table.Batch, todo []pending, out *table.Outcome) {
	for _, p := range todo {
		pp := table.PlannedPartition{Window: p.w.String(), Date: p.date, Rows: len(p.rows), Events: requests(p.rows)}
		status := table.StatusWouldCommit
		if p.head != nil {
			status, pp.Replaces, pp.ReplacesEvents = table.StatusWouldReplace, p.head.RunID, p.head.Events
		}
		out.Planned = append(out.Planned, pp)
		out.Partitions = append(out.Partitions, table.Result{Window: pp.Window, Date: pp.Date, Status: status, RunID: b.Record.RunID, Rows: pp.Rows})
	}
	b.Log.Info("dry run: nothing written", "partitions", len(todo))
}

// commitTimeout bounds one date's commit once a run has committed a
// partition and no longer stops when cancelled.
const commitTimeout = 2 * time.Minute

// Collect expires the run's tables' old snapshots (logsmith gc also
// removes orphan files), then collects the output's rejects and partials
// for date (every date when ""). It returns the keys it deleted; a table
// that fails does not stop the others.
func (f *Format) Collect(ctx context.Context, date string) ([]string, error) {
	var errs []error
	for _, w := range f.Windows {
		t := f.tables[w.String()]
		if t == nil || !t.Writable() {
			continue // nothing committed to it: maybe not even created
		}
		opts := f.Expiry
		opts.OrphanOlderThan = -1
		res, err := t.GC(ctx, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("expire snapshots of %s: %w", t.Identifier(), err))
			continue
		}
		if res.ExpiredSnapshots > 0 || len(res.RemovedFiles) > 0 {
			f.Log.Info("expired snapshots and removed orphan files", "table", t.Identifier(),
				"expired", res.ExpiredSnapshots, "removed", len(res.RemovedFiles))
		}
	}
	opts := f.OutputGC
	opts.Now = time.Now()
	if f.Now != nil {
		opts.Now = f.Now()
	}
	if date != "" {
		opts.Dates = []string{date}
	}
	res, err := f.Output.GC(ctx, opts)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	if len(res.Deleted) > 0 {
		f.Log.Info("removed dropped formats', superseded and expired files", "removed", res.Deleted)
	}
	return res.Deleted, errors.Join(errs...)
}

// requests sums the rows' request counts: the events of a partition, each
// counted once per window holding it (what partition_events held before
// it counted each event once).
func requests(rows []features.Row) int64 {
	var n int64
	for i := range rows {
		n += rows[i].RequestCount
	}
	return n
}

// splitByDate groups rows (sorted by window start) by the UTC date of their
// window start.
func splitByDate(rows []features.Row) map[string][]features.Row {
	m := map[string][]features.Row{}
	for i := 0; i < len(rows); {
		d := rows[i].WindowStart.UTC().Format(time.DateOnly)
		j := i
		for j < len(rows) && rows[j].WindowStart.UTC().Format(time.DateOnly) == d {
			j++
		}
		m[d] = rows[i:j]
		i = j
	}
	return m
}
