// Package report owns the pictures of what an output committed: it reads a
// committed date partition's Parquet rows (checked byte for byte against
// the manifest that lists them), sums them per window and per hour (events,
// error rate, the worst p99 latency) beside the manifest's bad lines by
// reason, and draws them as text charts for a terminal or as one
// self-contained HTML page with inline SVG. It does not compute features,
// list or choose tables, or read settings: its callers hand it a
// table.Table and a date.
package report
