// Package globtest holds only tests: the reader-loop test of the output
// layout (issue 12). Readers that know nothing of manifests glob an output's
// *.parquet and *.csv files — DuckDB on a local folder, Go listers on MinIO
// — in a loop while the built binary reruns, races and is killed with
// SIGKILL at random points. A test fails when a reader sees rows that are
// not, for every partition, those of one whole commit (or none before the
// first). A query that meets the replacement of a file it is reading may
// fail instead, and is retried as docs/output.md tells readers to; a reader
// that keeps failing fails the test. Two focused tests replay that meeting
// on purpose and require a failure or a right answer, never a wrong one. The
// package owns no code the binary uses; it is a package of its own so that
// the cgo DuckDB driver is built only for these tests, as in
// features/readback.
package globtest
