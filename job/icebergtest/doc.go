// Package icebergtest holds only tests: runs of the job with
// --table-format iceberg, checked against the hive layout's Parquet output
// of the same input, cell by cell, with DuckDB reading the data files each
// snapshot lists; and the race rule, reruns, shards and --skip-committed on
// Iceberg tables. It is a package of its own so that the cgo DuckDB driver
// is built only for these tests.
package icebergtest
