// Package features turns JSON log lines into time-windowed features.
//
// It owns everything between a stream of bytes and a table of rows: detecting
// compression, splitting lines with a length limit (or, through a
// [Pipeline], framing concatenated JSON values and passing each record
// through declared steps: text prefixes, JSON held in strings, arrays of
// events, key/value lists), decoding the configured fields of each event
// (field paths may quote keys holding dots, see [ParsePath]; levels are
// classified by a vocabulary and [LevelMap]; latencies may be durations), assigning events to tumbling windows by event time,
// aggregating them into a [Partial] that one task owns, merging partials, and
// encoding the resulting [Row]s as Parquet or CSV. It defines the table's
// columns once ([Columns.Schema], [Column.Value]): other writers, such as
// table/iceberg's, read rows through them. It does not know about
// buckets, object keys, workers or files: callers hand it readers and writers.
//
// Decoding does not depend on the host: timestamps are never read against
// time.Local (see [ParseRFC3339], [ParseNginx], [ParseEpoch] and [Layout]),
// and a line is either decoded the same way everywhere or skipped with a
// [Reason] — a group-by value that could not be written as a Parquet string
// is one ([ReasonBadDimension]), never altered. A line is JSON exactly when
// encoding/json would take it as an object, and of a repeated key the last
// value is read, on the flat scanner, the full path and in every step.
//
// Every aggregate is exact integer arithmetic (counts, sums and sums of
// squares of latencies in nanoseconds, min and max) or a DDSketch whose bins
// hold integer counts, so [Partial.Merge] is associative and commutative and
// the output never depends on how lines were split between partials or in
// which order partials were merged.
package features
