// Package hive commits a run's feature tables in the hive layout of
// package table: one date=D folder per partition holding a Parquet (and
// CSV) file per format and its _manifest.json, under the output's head
// (_tables.json). It builds each partition's files and manifest from the
// run's rows, checks the output's shape, commits the partitions against
// the heads the run started from (table.Committer: claims in key order,
// conditional PUTs, manifest last), and collects what they supersede.
//
// It is one of package job's table formats: job owns the run (what is
// read, judged and counted, and the policy on fewer events), this package
// only what the hive layout does with the rows. It does not read settings,
// list inputs, or classify errors into exit codes: its errors wrap
// table's sentinels (table.ErrLostRace, table.ErrShapeChanged,
// table.ErrDropping) or are a *table.EncodeError, and job sorts them.
package hive
