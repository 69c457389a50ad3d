package table

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/logsmith/logsmith/features"
)

// Batch is one run's commit of its tables' partitions, as every table
// format takes it (the hive layout of this package, Iceberg): what the run
// read and recorded, the rows it built, and the heads its commits are
// conditional on. The run owns it; a format reads it and changes nothing
// in it.
type Batch struct {
	// Heads are the heads the run started from, by table key and date,
	// as the format's own Start returned them (or a sharded run's shards
	// carried them): a partition whose head is another now was committed
	// by another run since, and the batch lost the race for it.
	Heads map[string]map[string]string
	// Record holds the run-wide fields of every partition's record (run
	// id, version, start, inputs, counts, config and its hash, damaged
	// objects, rejects); the format fills in the partition's own.
	Record Manifest
	// Rows are the rows to commit.
	Rows Rows
	// NotWorse refuses to replace the commit of date d in table t, by run
	// prev and holding committed events, with one holding events; exact
	// is false when committed is only a stand-in. Its error is returned
	// as it is.
	NotWorse func(d, t, prev string, events, committed int64, exact bool) error
	// DryRun: report what would be committed, in Outcome.Planned, and
	// write nothing.
	DryRun bool
	// Phase, when set, hears what the commit does from now on.
	Phase func(name string)
	// BeforePublish, when set, is called for each partition before it is
	// committed (tests line up races there).
	BeforePublish func(ctx context.Context, date string)
	// Log hears what the commit did; it must not be nil.
	Log *slog.Logger
}

// Rows are a run's rows by table (window spec) and date.
type Rows interface {
	// Stream calls fn with window w's rows a few at a time, in window
	// order; the rows of one call share the UTC date of their
	// window_start. An error from fn stops it and is returned.
	Stream(w features.Window, fn func([]features.Row) error) error
	// All returns window w's rows, in window order.
	All(w features.Window) ([]features.Row, error)
	// Dates returns the dates to commit of a table whose rows fall on the
	// dates have, in order: a dated run's date whatever have holds, every
	// date of have otherwise; either less the dates whose input is too
	// broken to commit.
	Dates(have []string) []string
	// Events counts the events of window w's partition of date d, each
	// once however many windows hold it.
	Events(w features.Window, d string) int64
	// Quality is the input date d was judged on; nil when not judged.
	Quality(d string) *Quality
	// Covered is the part of date d the run's input covers.
	Covered(d string) *Span
}

// Outcome is what a format's commit of a Batch did, as far as it got.
type Outcome struct {
	// Rows counts the rows of the partitions the batch commits (or would).
	Rows       int
	Partitions []Result
	Files      []string // data objects written
	// Dropped are the formats committed partitions had that the batch
	// does not write: their files go.
	Dropped []DroppedFormat
	// Planned lists, for a dry run, the partitions it would commit.
	Planned []PlannedPartition
}

// DroppedFormat is a format a partition had before a run's commit
// replaced it without that format (a run without --format csv over one
// with it): the format's file is deleted, not kept stale.
type DroppedFormat struct {
	Window string `json:"window"`
	Date   string `json:"date"`
	Format string `json:"format"`
	Key    string `json:"key"` // the data object that goes
	URL    string `json:"url"` // Key as a URL, as logsmith files prints it
}

// PlannedPartition is a partition a dry run would have committed.
type PlannedPartition struct {
	Window string `json:"window"`
	Date   string `json:"date"`
	Rows   int    `json:"rows"`
	Events int64  `json:"events"`
	// Replaces is the run whose commit the partition would replace, with
	// its events; empty for a new partition.
	Replaces       string `json:"replaces_run,omitempty"`
	ReplacesEvents int64  `json:"replaces_events,omitempty"`
}

// Partition outcomes of a dry run.
const (
	StatusWouldCommit  = "would_commit"  // a partition no commit holds yet
	StatusWouldReplace = "would_replace" // a partition a commit holds
)

// EncodeError is a failure to encode a partition's rows into a file of
// a format: neither the store's nor the input's.
type EncodeError struct {
	Format string
	Err    error
}

func (e *EncodeError) Error() string { return fmt.Sprintf("encode %s: %v", e.Format, e.Err) }
func (e *EncodeError) Unwrap() error { return e.Err }
