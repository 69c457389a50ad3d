// Package table owns logsmith's committed output: the layout of every key
// written or read under an output location, the manifest that describes a
// committed date partition, reading a partition's head, publishing a new
// commit against it, listing tables, partitions and their data objects for
// readers, and garbage collection.
//
// # Layout
//
// Each feature table (the output itself, or one window=W folder per window
// spec when a run writes several) holds one folder per UTC date:
//
//	[window=W/]date=D/part-00000.parquet   the committed rows, one object per format
//	[window=W/]date=D/part-00000.csv
//	[window=W/]date=D/_manifest.json       the partition's head: who committed what
//	_rejects/date=D/run=ID/rejects.jsonl   samples of bad lines
//	_partials/date=D/run=ID/shard-i-of-n   shard partials awaiting merge
//	_tables.json                           the output's head: its layout and tables (Shape)
//
// The output's head records its shape: the layout (tables at the root or
// in window=W folders) and each table's window, dimensions, schema version
// and columns. [Shape.Admit] says whether a command's shape may commit to
// it; [Output.Drop] removes a table, so that the output may take another.
//
// A data object is replaced whole by one conditional PUT, so a reader that
// globs the output's *.parquet or *.csv files sees, for every partition, the
// complete rows of exactly one commit at every moment.
//
// # Commits and races
//
// A command reads the head (the manifest's ETag, or its absence) of every
// partition it will commit when it starts. [Committer.Commit] first claims
// every partition, in key order, with a conditional PUT of a claim manifest
// against that head; if any claim fails, it releases the claims it made and
// reports [ErrLostRace] having written no data. Then it replaces the data
// objects, each through an upload its claim records (a command that takes
// the claim over aborts those uploads first: the fence), and publishes the
// final manifests against its claims. Deletes (GC, [Output.Drop]) carry no
// claim's token: each notes the object it decides to delete while its
// claim or the drop is provably in force, and deletes that object only
// (storage.ConditionalDeleter), so one that lands late removes nothing
// written since.
//
// # Any table format
//
// [Batch] is what a run hands a table format to commit (the hive layout of
// this package, Iceberg, …): its heads, the record every partition
// carries, its [Rows] by window and date, its fewer-events check; a format
// returns an [Outcome] and errors that wrap [ErrLostRace],
// [ErrShapeChanged] or [ErrDropping] where they apply.
//
// It does not build rows, parse configuration or decide what to compute:
// package job does.
package table
