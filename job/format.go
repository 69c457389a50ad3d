package job

import (
	"context"

	"github.com/logsmith/logsmith/table"
)

// tableFormat is how a run's tables are held and committed: the hive
// layout of package table, or Apache Iceberg tables. A run, a merge and a
// backfill's dates use it alone; they never ask which format it is. A
// format's errors wrap table.ErrLostRace (another run committed a
// partition after the heads were read), table.ErrShapeChanged (the run
// would change what committed rows mean: a setting to fix) or
// table.ErrDropping (a table drop in progress: retry later), or are a
// *table.EncodeError (a bug); any other is the store's or the catalog's
// (see formatErr). An error from the batch's own callbacks (its Rows, its
// NotWorse) is returned as it is.
type tableFormat interface {
	// Start checks the run's tables and returns the heads the run's
	// commits will be conditional on: by table key, then date, what each
	// partition holds as the run starts (a dated run: its date's only;
	// "": every date's). It creates nothing. It is called once, before
	// any other method but Close.
	Start(ctx context.Context, date string) (map[string]map[string]string, error)
	// Committed returns the partitions of date, as skipped, when every
	// table holds a commit of it (as Start read it) from the same inputs
	// and config hash; nil otherwise, also when it cannot tell.
	Committed(ctx context.Context, date string, inputs []table.Input, configHash string) []table.Result
	// CommittedBy returns the partitions of date, as skipped, when every
	// table holds a commit of it by run runID (a merge of the run that
	// committed); nil, nil otherwise.
	CommittedBy(ctx context.Context, date, runID string) ([]table.Result, error)
	// Commit builds and commits the batch's partitions against b.Heads,
	// in one order every run uses, or with b.DryRun plans them. It
	// returns what it did as far as it got: on an error, the partitions
	// committed before it stand and are listed.
	Commit(ctx context.Context, b *table.Batch) (table.Outcome, error)
	// Collect removes what the tables no longer need after a commit, for
	// date ("": every date), and returns the keys it deleted. An error
	// leaves the commit standing: the caller logs it.
	Collect(ctx context.Context, date string) ([]string, error)
	// Close releases what the format holds open (a catalog).
	Close() error
}
