// Package report owns the pictures of what an output committed: it reads a
// committed date partition's Parquet rows (checked byte for byte against
// the manifest that lists them), sums them per window and per UTC hour
// (events, error rate, the worst p99 latency) beside the manifest's bad
// lines by reason, chooses the table that can be drawn per hour, and draws
// them as text charts for a terminal or as one self-contained HTML page
// with inline SVG. It does not compute features or read settings: its
// callers hand it an output's tables, a date and a window name.
package report
