package hive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// Format is the hive layout of one run's tables: one table per window
// spec, under Output.
type Format struct {
	Output table.Output
	// OutputURL names the output in errors about its shape.
	OutputURL string
	Windows   []features.Window
	Columns   features.Columns
	// Formats are the file formats each partition is written in.
	Formats []string
	// Compression is the Parquet files' (empty: zstd).
	Compression features.ParquetCompression
	// Committer carries the run id, retries, clock, lease, log and
	// manifest limit of the run's commits; Commit sets the rest.
	Committer table.Committer
	// GC holds the grace and rejects retention of the collection after a
	// commit; GC sets the time and dates.
	GC table.GCOptions

	// shape is the output's shape as admitShape found (or recorded) it:
	// the layout of the tables. Nil until read.
	shape *table.Shape
	// prev are the manifests of a dated run's date, as Start read them.
	prev []*table.Manifest
}

// Close releases nothing: the bucket is the caller's.
func (f *Format) Close() error { return nil }

func (f *Format) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	if f.Committer.Retry == nil {
		return fn(ctx)
	}
	return f.Committer.Retry(ctx, what, fn)
}

func (f *Format) now() time.Time {
	if f.Committer.Now == nil {
		return time.Now()
	}
	return f.Committer.Now()
}

// table returns the table of window w: the output itself, or its window=W
// folder, as the output's head says (admitShape); before the head is read,
// a window=W folder when the run writes several window specs.
func (f *Format) table(w features.Window) table.Table {
	if f.shape != nil {
		return f.shape.Table(f.Output, w.String())
	}
	return f.Output.Table(w.String(), len(f.Windows) > 1)
}

// Start checks the run's shape against the output's head and returns, for
// every table of the run by its root, what each partition holds as the
// run starts (table.Head.CommitID): the heads its commits are conditional
// on. A dated run reads its date's head in each table; an undated one,
// not knowing its dates yet, reads every head.
func (f *Format) Start(ctx context.Context, date string) (map[string]map[string]string, error) {
	if err := f.admitShape(ctx, false); err != nil {
		return nil, err
	}
	all := map[string]map[string]string{}
	f.prev = nil
	for _, w := range f.Windows {
		t := f.table(w)
		heads := map[string]string{}
		err := f.retry(ctx, "read heads of "+t.Root(), func(ctx context.Context) (err error) {
			if date == "" {
				heads, err = t.HeadIDs(ctx)
				return err
			}
			h, err := t.ReadHead(ctx, date)
			if err == nil && h.Exists() {
				heads[date] = h.CommitID()
				f.prev = append(f.prev, h.Manifest)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		all[t.Root()] = heads
	}
	return all, nil
}

// Committed returns the partitions of date, skipped, when every table
// holds a final commit of it (as Start read it) from the same inputs and
// config; nil otherwise. A claim, even over the same inputs, may have
// replaced data and died, and must be taken over: it is not skipped.
func (f *Format) Committed(_ context.Context, date string, inputs []table.Input, configHash string) []table.Result {
	if len(f.prev) != len(f.Windows) {
		return nil
	}
	var res []table.Result
	for i, w := range f.Windows {
		m := f.prev[i]
		if m.State != table.StateCommitted || m.Window != w.String() || !m.SameInputs(inputs, configHash) {
			return nil
		}
		res = append(res, table.Result{Window: w.String(), Date: date, Status: table.StatusSkipped, RunID: m.RunID, Rows: m.Rows})
	}
	return res
}

// CommittedBy returns the partitions of date, skipped, when every table
// holds a final commit of it by run runID; nil otherwise.
func (f *Format) CommittedBy(ctx context.Context, date, runID string) ([]table.Result, error) {
	if f.shape == nil {
		if err := f.admitShape(ctx, false); err != nil {
			return nil, err
		}
	}
	var res []table.Result
	for _, w := range f.Windows {
		var h table.Head
		t := f.table(w)
		err := f.retry(ctx, "read "+t.ManifestKey(date), func(ctx context.Context) (err error) {
			h, err = t.ReadHead(ctx, date)
			return err
		})
		if err != nil {
			return nil, err
		}
		m := h.Manifest
		if m == nil || m.State != table.StateCommitted || m.RunID != runID {
			return nil, nil
		}
		res = append(res, table.Result{Window: w.String(), Date: date, Status: table.StatusSkipped, RunID: m.RunID, Rows: m.Rows})
	}
	return res, nil
}

// Commit builds every table's partitions from b's rows, each against the
// head b's run started from, and commits them (table.Committer.Commit:
// every partition or, past a lost race, those before it). A partition
// whose head moved since fails it with table.ErrLostRace; b.NotWorse's
// refusal is returned as it is. With b.DryRun it only plans. The output's
// head is recorded only by a commit: a batch refused on the way leaves the
// output as it found it.
func (f *Format) Commit(ctx context.Context, b *table.Batch) (table.Outcome, error) {
	var out table.Outcome
	phase(b, "building tables")
	if err := f.admitShape(ctx, false); err != nil {
		return out, err
	}
	parts, err := f.partitions(ctx, b, &out)
	if err != nil {
		return out, err
	}
	if b.DryRun {
		f.plan(b, parts, &out)
		return out, nil
	}
	if len(parts) > 0 {
		if err := f.admitShape(ctx, true); err != nil {
			return out, err
		}
	}
	phase(b, "committing "+partsDates(parts))
	c := f.Committer
	c.BeforePublish, c.AfterClaim = b.BeforePublish, f.recheckShape
	res, err := c.Commit(ctx, parts)
	out.Partitions = res
	for _, r := range res {
		out.Files = append(out.Files, r.Files...)
	}
	return out, err
}

func phase(b *table.Batch, name string) {
	if b.Phase != nil {
		b.Phase(name)
	}
}

// Collect collects what the output no longer needs, for date (every date when
// ""): dropped formats', superseded and expired files, old rejects and
// partials. It returns the keys it deleted.
func (f *Format) Collect(ctx context.Context, date string) ([]string, error) {
	opts := f.GC
	opts.Now = f.now()
	if date != "" {
		opts.Dates = []string{date}
	}
	res, err := f.Output.GC(ctx, opts)
	if err != nil {
		return nil, err
	}
	if len(res.Deleted) > 0 {
		f.Committer.Log.Info("removed dropped formats', superseded and expired files", "removed", res.Deleted)
	}
	return res.Deleted, nil
}

// partsDates names the dates of parts: "2024-05-01", or the first and
// last of several with their count.
func partsDates(parts []*table.Partition) string {
	var dates []string
	for _, p := range parts {
		dates = append(dates, p.Date)
	}
	slices.Sort(dates)
	dates = slices.Compact(dates)
	switch len(dates) {
	case 0:
		return "nothing"
	case 1:
		return "date " + dates[0]
	}
	return fmt.Sprintf("%d dates %s … %s", len(dates), dates[0], dates[len(dates)-1])
}

// partitions builds every table of the batch and the partitions to
// commit, each against the head the run started from.
func (f *Format) partitions(ctx context.Context, b *table.Batch, out *table.Outcome) ([]*table.Partition, error) {
	var parts []*table.Partition
	for _, w := range f.Windows {
		t := f.table(w)
		meta := metadata(w, f.Columns)
		files, dates, err := f.tableFiles(b.Rows, w, meta)
		if err != nil {
			return nil, err
		}
		for _, d := range dates {
			out.Rows += files[d].rows
		}
		for _, d := range dates {
			head, err := f.readHeadNow(ctx, b, t, d)
			if err != nil {
				return nil, err
			}
			df := files[d]
			m := b.Record
			m.SchemaVersion, m.Window, m.Schema, m.Date = features.SchemaVersion, w.String(), f.Columns.Schema(), d
			m.Rows, m.PartitionEvents, m.EventsOnce = df.rows, b.Rows.Events(w, d), true
			m.Covered, m.Quality = b.Rows.Covered(d), b.Rows.Quality(d)
			if prev := head.Manifest.Committed(); prev != nil {
				known := prev.ManifestVersion >= 2 && prev.PartitionEvents >= 0
				events, committed := m.PartitionEvents, committedEvents(prev)
				if known && !prev.EventsOnce && prev.Window == w.String() {
					// An older logsmith's count, of the same windows:
					// compare like with like.
					events, committed = df.requests, prev.PartitionEvents
				}
				if err := b.NotWorse(d, w.String(), prev.RunID, events, committed, known); err != nil {
					return nil, err
				}
			}
			f.noteDropped(b, out, t, w.String(), d, head.Manifest.Committed())
			blobs, err := df.blobs()
			if err != nil {
				return nil, err
			}
			parts = append(parts, &table.Partition{Table: t, Date: d, Head: head, Manifest: &m, Blobs: blobs})
		}
	}
	return parts, nil
}

// tableFiles encodes window w's rows into files by UTC date of window
// start, one window at a time, and returns them with the dates to commit
// (rows.Dates). A date's files are finished (their rows dropped) before
// the next date's rows are built.
func (f *Format) tableFiles(rows table.Rows, w features.Window, meta map[string]string) (map[string]*dateFiles, []string, error) {
	files := map[string]*dateFiles{}
	var have []string
	err := rows.Stream(w, func(rows []features.Row) error {
		// Rows come by window: one window's rows share a date.
		d := rows[0].WindowStart.UTC().Format(time.DateOnly)
		df := files[d]
		if df == nil {
			var err error
			if df, err = newDateFiles(f.Formats, f.Compression, f.Columns, meta); err != nil {
				return err
			}
			files[d] = df
			have = append(have, d)
		}
		return df.write(rows)
	})
	if err != nil {
		return nil, nil, err
	}
	dates := rows.Dates(have)
	for _, d := range dates {
		if files[d] == nil { // a dated run's date without events
			df, err := newDateFiles(f.Formats, f.Compression, f.Columns, meta)
			if err != nil {
				return nil, nil, err
			}
			files[d] = df
		}
	}
	return files, dates, nil
}

// readHeadNow reads a partition's current head and checks it against the
// one the run started from: the same commit in force (table.Head.CommitID),
// whoever claims it meanwhile — another command's claim, live or dead, is
// waited for or taken over by the committer, as at claim time; this run's
// own (a merge retried after it was killed while publishing) is taken back.
func (f *Format) readHeadNow(ctx context.Context, b *table.Batch, t table.Table, date string) (table.Head, error) {
	var h table.Head
	err := f.retry(ctx, "read "+t.ManifestKey(date), func(ctx context.Context) (err error) {
		h, err = t.ReadHead(ctx, date)
		return err
	})
	if err != nil {
		return h, err
	}
	if h.CommitID() == b.Heads[t.Root()][date] {
		return h, nil
	}
	winner := "unknown"
	if h.Manifest != nil {
		winner = h.Manifest.RunID
	}
	return h, fmt.Errorf("commit %s of %s: run %s committed it after this run started: %w", date, t.Root(), winner, table.ErrLostRace)
}

// noteDropped records (and warns of) each format prev, the committed
// manifest of date d of table t, has and the batch does not write.
func (f *Format) noteDropped(b *table.Batch, out *table.Outcome, t table.Table, window, d string, prev *table.Manifest) {
	if prev == nil {
		return
	}
	var had []string
	for _, file := range prev.Files {
		if !slices.Contains(had, file.Format) {
			had = append(had, file.Format)
		}
	}
	for _, format := range had {
		if slices.Contains(f.Formats, format) {
			continue
		}
		key := t.DataKey(d, format)
		out.Dropped = append(out.Dropped, table.DroppedFormat{Window: window, Date: d, Format: format, Key: key})
		b.Log.Warn("the commit drops a format the partition had: its file is deleted (add it to --format to keep it)",
			"window", window, "date", d, "format", format, "key", key)
	}
}

// plan records, instead of committing them, the partitions a dry run
// would commit and the commits they would replace.
func (f *Format) plan(b *table.Batch, parts []*table.Partition, out *table.Outcome) {
	for _, p := range parts {
		pp := table.PlannedPartition{Window: p.Manifest.Window, Date: p.Date, Rows: p.Manifest.Rows, Events: p.Manifest.PartitionEvents}
		status := table.StatusWouldCommit
		if prev := p.Head.Manifest.Committed(); prev != nil {
			status, pp.Replaces, pp.ReplacesEvents = table.StatusWouldReplace, prev.RunID, committedEvents(prev)
		}
		out.Planned = append(out.Planned, pp)
		out.Partitions = append(out.Partitions, table.Result{Window: pp.Window, Date: pp.Date, Status: status, RunID: b.Record.RunID, Rows: pp.Rows})
	}
	b.Log.Info("dry run: nothing written", "partitions", len(parts))
}

// committedEvents tells whether a committed partition holds events, and
// how many, each counted once. A version 1 manifest (and one migrated
// from it, -1) did not count them per partition, so its rows stand in for
// them. An older version 2 manifest summed request_count over its
// windows: a sliding window of length L every S counts an event at most
// ceil(L/S) times, so the sum divided by that is a lower bound of its
// events (exact for tumbling windows).
func committedEvents(m *table.Manifest) int64 {
	if m.ManifestVersion < 2 || m.PartitionEvents < 0 {
		return int64(m.Rows)
	}
	if m.EventsOnce {
		return m.PartitionEvents
	}
	return m.PartitionEvents / timesCounted(m.Window)
}

// timesCounted is how many windows of the window named name ("5m",
// "1h-every-5m") hold an event at most: 1 for tumbling windows, and for
// a name this logsmith cannot read.
func timesCounted(name string) int64 {
	w, err := features.ParseWindowName(name)
	if err != nil {
		return 1
	}
	return int64((w.Size + w.Slide - 1) / w.Slide)
}

// metadata is stored in every Parquet file of window w's table: the
// schema contract.
func metadata(w features.Window, cols features.Columns) map[string]string {
	schema, _ := json.Marshal(cols.Schema())
	return map[string]string{
		"logsmith.schema_version": features.SchemaVersion,
		"logsmith.schema":         string(schema),
		"logsmith.window":         w.String(),
	}
}

// dateFiles are one date partition's files of a table, in every format,
// encoded as its rows come (see features.Partial.Rows) so that a run
// never holds a table's rows all at once.
type dateFiles struct {
	rows     int
	requests int64 // the rows' request counts summed
	formats  []string
	bufs     []*bytes.Buffer
	encs     []rowEncoder
}

// rowEncoder is a file of one format, written a few rows at a time.
type rowEncoder interface {
	Write(rows []features.Row) error
	Close() error
}

func newDateFiles(formats []string, comp features.ParquetCompression, cols features.Columns, meta map[string]string) (*dateFiles, error) {
	f := &dateFiles{formats: formats}
	for _, format := range formats {
		buf := &bytes.Buffer{}
		var enc rowEncoder
		switch format {
		case "parquet":
			enc = features.NewParquetWriterCompressed(buf, cols, meta, comp)
		case "csv":
			cw, err := features.NewCSVWriter(buf, cols)
			if err != nil {
				return nil, &table.EncodeError{Format: "csv", Err: err}
			}
			enc = cw
		default:
			return nil, &table.EncodeError{Format: format, Err: errors.New("unknown format")}
		}
		f.bufs, f.encs = append(f.bufs, buf), append(f.encs, enc)
	}
	return f, nil
}

// write adds rows to every file.
func (f *dateFiles) write(rows []features.Row) error {
	f.rows += len(rows)
	for i := range rows {
		f.requests += rows[i].RequestCount
	}
	for i, enc := range f.encs {
		if err := enc.Write(rows); err != nil {
			return &table.EncodeError{Format: f.formats[i], Err: err}
		}
	}
	return nil
}

// blobs finishes the files and returns them.
func (f *dateFiles) blobs() ([]table.Blob, error) {
	var blobs []table.Blob
	for i, enc := range f.encs {
		if err := enc.Close(); err != nil {
			return nil, &table.EncodeError{Format: f.formats[i], Err: err}
		}
		blobs = append(blobs, table.Blob{Format: f.formats[i], Data: f.bufs[i].Bytes()})
	}
	return blobs, nil
}
