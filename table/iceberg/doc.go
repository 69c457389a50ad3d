// Package iceberg commits logsmith's feature tables as Apache Iceberg
// tables through github.com/apache/iceberg-go: its catalogs (SQL on SQLite or
// PostgreSQL, REST, AWS Glue), its metadata, manifests and Parquet writing.
// It owns the mapping of a feature table to an Iceberg table (name, schema,
// partitioning by day(window_start), table properties), the per-date commit
// with its race rule, the per-date heads, listing for ls/show/files, and the
// lifecycle (snapshot expiry and orphan-file removal). It does not build
// rows, parse settings or decide what to compute: package job does; nor does
// it write any Iceberg metadata by hand.
//
// # Tables
//
// Each window spec is one table, features_<window> (features_5m,
// features_15m_5m), in one namespace (default "logsmith"), located under the
// warehouse at <warehouse>/<namespace>.db/<table>. Its columns are those of
// the Parquet output ([features.Columns.Schema]); window_start and
// window_end are timestamptz in microseconds. The table properties
// logsmith.schema-version, logsmith.window and logsmith.dimensions record the
// schema contract: [Catalog.Table] adds the columns a newer logsmith writes
// (schema evolution, as optional columns) and refuses, with
// [ErrIncompatible], a table whose existing columns would change meaning
// (a column's type or nullability, the window, the group-by dimensions).
//
// # Commits and races
//
// [Table.CommitDate] replaces exactly the rows of one UTC date in one
// atomic catalog commit: one snapshot that removes the date's data files and
// adds the new ones (an append when the date had none). The snapshot summary
// carries logsmith.run-id, logsmith.version, logsmith.config-hash,
// logsmith.date, logsmith.rows and logsmith.inputs, the URL of the input
// ledger written beside the metadata. The same commit sets the table
// property logsmith.head.<date>, the date's head, so heads survive snapshot
// expiry and are read with one metadata load ([Table.Heads]).
//
// A commit is conditional on the table's main branch being where the commit
// read it (iceberg-go's AssertRefSnapshotID, applied atomically by the
// catalog). When another date was committed meanwhile the catalog refuses,
// and CommitDate reloads the table and tries again. When the date's own head
// has changed since the run read it, CommitDate gives up with an error
// wrapping [table.ErrLostRace]: the other run's commit stands.
//
// A read of the files of a state this process loaded (a commit's listing of
// the date's files, [Table.Files], GC's walk) that finds one gone because
// the table has moved on since (another run committed and its expiry
// removed the loaded snapshot) is done again on the refreshed table; a file
// missing from the current state is an error.
//
// # Pinning
//
// [Table.Pin] reads the current snapshot (which holds every committed
// date), the metadata file listing it and the heads from one metadata
// load: what a reader records to read the table again as it is now.
//
// # Errors
//
// Errors wrap [table.ErrLostRace] (the date was committed by another run
// first) and [ErrIncompatible] (the table's schema contract differs from the
// run's); test them with errors.Is. A commit whose outcome the catalog did
// not report (a cancelled context mid-commit, a network error) returns the
// error and leaves the table either at its previous snapshot or at the new
// one, never in between; a REST server may even apply, after the error, a
// request its client gave up on. The next run reads the head and knows.
//
// # Lifecycle
//
// [Table.GC] expires snapshots (older than a retention, keeping the last N)
// with iceberg-go's ExpireSnapshots, which deletes the files only expired
// snapshots referenced, then removes orphan files older than a grace period
// with iceberg-go's DeleteOrphanFiles, sparing the input ledgers that
// retained snapshots and heads refer to (Iceberg does not know them) and
// the metadata files that list a retained snapshot. Tables keep every
// metadata file a commit writes (the metadata log lists the newest 20), so
// a metadata file a reader pinned lasts as long as its snapshots.
package iceberg
