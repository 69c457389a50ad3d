// Package readback holds only tests: they write feature tables with package
// features, read them back with DuckDB (read_parquet, and read_csv with its
// defaults and with the types docs/output.md tells readers to pass), and fail
// when a CSV file and its Parquet twin come back with different column types
// or values. It owns no code that the binary uses; it is a package of its own
// so that the cgo DuckDB driver is built only for these tests and stays out
// of package features' unit tests and fuzzing.
package readback
