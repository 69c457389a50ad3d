// Package icebergfmt commits a run's feature tables as Apache Iceberg
// tables of package table/iceberg: one table per window spec, one atomic
// snapshot per committed date, each against the date's head the run
// started from; after a commit, old snapshots expire.
//
// It is one of package job's table formats: job owns the run (what is
// read, judged and counted, and the policy on fewer events), this package
// only what an Iceberg catalog does with the rows. It does not read
// settings or classify errors into exit codes: a lost race wraps
// table.ErrLostRace, a table whose committed rows would change meaning
// wraps table.ErrShapeChanged (a setting to fix), and job sorts the rest
// as the catalog's or the store's.
package icebergfmt
