package job

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// SchemaVersion is the version of the feature table's schema.
const SchemaVersion = features.SchemaVersion

// Partition outcomes.
const (
	StatusCommitted = table.StatusCommitted
	StatusSkipped   = table.StatusSkipped
	StatusLost      = table.StatusLost
)

// PartitionResult is what happened to one date partition of one table.
type PartitionResult = table.Result

// tableMetadata is stored in every Parquet file: the schema contract.
func tableMetadata(w features.Window, cols features.Columns) map[string]string {
	schema, _ := json.Marshal(cols.Schema())
	return map[string]string{
		"logsmith.schema_version": SchemaVersion,
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

func newDateFiles(formats []string, cols features.Columns, meta map[string]string) (*dateFiles, error) {
	f := &dateFiles{formats: formats}
	for _, format := range formats {
		buf := &bytes.Buffer{}
		var enc rowEncoder
		switch format {
		case "parquet":
			enc = features.NewParquetWriter(buf, cols, meta)
		case "csv":
			cw, err := features.NewCSVWriter(buf, cols)
			if err != nil {
				return nil, fmt.Errorf("encode csv: %w", err)
			}
			enc = cw
		default:
			return nil, fmt.Errorf("unknown format %q", format)
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
			return fmt.Errorf("encode %s: %w", f.formats[i], err)
		}
	}
	return nil
}

// blobs finishes the files and returns them.
func (f *dateFiles) blobs() ([]table.Blob, error) {
	var blobs []table.Blob
	for i, enc := range f.encs {
		if err := enc.Close(); err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.formats[i], err)
		}
		blobs = append(blobs, table.Blob{Format: f.formats[i], Data: f.bufs[i].Bytes()})
	}
	return blobs, nil
}

// output returns the run's output.
func (rs *runState) output() table.Output { return table.NewOutput(rs.out, rs.res.Output.Prefix) }

// table returns the table of window w: the output itself, or its window=W
// folder, as the output's head says (admitShape); before the head is read,
// a window=W folder when the run writes several window specs.
func (rs *runState) table(w features.Window) table.Table {
	if rs.shape != nil {
		return rs.shape.Table(rs.output(), w.String())
	}
	return rs.output().Table(w.String(), len(rs.res.Windows) > 1)
}

// startHeads records, for every table of the run, what each partition
// holds as the run starts (table.Head.CommitID): the heads its commits are
// conditional on. A dated run reads its date's head in each table; an
// undated one, not knowing its dates yet, reads every head.
func (rs *runState) startHeads(ctx context.Context) error {
	if err := rs.admitShape(ctx, false); err != nil {
		return err
	}
	rs.heads = map[string]map[string]string{}
	for _, w := range rs.res.Windows {
		t := rs.table(w)
		heads := map[string]string{}
		err := rs.policy().Do(ctx, "read heads of "+t.Root(), func(ctx context.Context) (err error) {
			if rs.res.Date == "" {
				heads, err = t.HeadIDs(ctx)
				return err
			}
			h, err := t.ReadHead(ctx, rs.res.Date)
			if err == nil && h.Exists() {
				heads[rs.res.Date] = h.CommitID()
				rs.prev = append(rs.prev, h.Manifest)
			}
			return err
		})
		if err != nil {
			return storageErr(err)
		}
		rs.heads[t.Root()] = heads
	}
	return nil
}

// committer returns the run's table committer.
func (rs *runState) committer() *table.Committer {
	return &table.Committer{
		RunID: rs.runID, Retry: rs.policy().Do, Now: rs.opts.Now, Lease: rs.cfg.CommitLease,
		Log: rs.log, BeforePublish: rs.opts.BeforePublish, ManifestLimit: rs.opts.ManifestLimit,
		AfterClaim: rs.recheckShape,
	}
}

// readHeadNow reads a partition's current head and checks it against the
// one the run started from: the same commit in force (table.Head.CommitID),
// whoever claims it meanwhile — another command's claim, live or dead, is
// waited for or taken over by the committer, as at claim time; this run's
// own (a merge retried after it was killed while publishing) is taken back.
func (rs *runState) readHeadNow(ctx context.Context, t table.Table, date string) (table.Head, error) {
	var h table.Head
	err := rs.policy().Do(ctx, "read "+t.ManifestKey(date), func(ctx context.Context) (err error) {
		h, err = t.ReadHead(ctx, date)
		return err
	})
	if err != nil {
		return h, storageErr(err)
	}
	if h.CommitID() == rs.heads[t.Root()][date] {
		return h, nil
	}
	winner := "unknown"
	if h.Manifest != nil {
		winner = h.Manifest.RunID
	}
	return h, &kindError{KindLostRace, fmt.Errorf("commit %s of %s: run %s committed it after this run started: %w", date, t.Root(), winner, table.ErrLostRace)}
}

// commitErr classifies an error of table.Committer.Commit.
func commitErr(err error) error {
	if errors.Is(err, table.ErrLostRace) {
		return &kindError{KindLostRace, err}
	}
	return storageErr(err)
}

// gc collects what the run's output no longer needs, for the run's date
// (every date when undated). A failure is logged: the commit stands.
func (rs *runState) gc(ctx context.Context) {
	opts := table.GCOptions{Now: rs.opts.Now(), Grace: rs.cfg.GCGrace, RejectsRetention: rs.cfg.RejectsRetention}
	if rs.res.Date != "" {
		opts.Dates = []string{rs.res.Date}
	}
	res, err := rs.output().GC(ctx, opts)
	if err != nil {
		rs.log.Warn("garbage collection", "error", err)
		return
	}
	rs.sum.Removed = res.Deleted
	if len(res.Deleted) > 0 {
		rs.log.Info("removed dropped formats', superseded and expired files", "removed", res.Deleted)
	}
}

// GC runs a garbage collection of the output at loc; see table.Output.GC.
func GC(ctx context.Context, b Bucket, loc Location, opts table.GCOptions) (*table.GCResult, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	res, err := table.NewOutput(b, loc.Prefix).GC(ctx, opts)
	return res, storageErr(err)
}
