package job

import (
	"context"
	"errors"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// SchemaVersion is the version of the feature table's schema.
const SchemaVersion = features.SchemaVersion

// Partition outcomes.
const (
	StatusCommitted = table.StatusCommitted
	StatusSkipped   = table.StatusSkipped
	StatusLost      = table.StatusLost
)

// PartitionResult is what happened to one date partition of one table.
type PartitionResult = table.Result

// formatErr classifies an error of the run's table format (see
// tableFormat): a lost race, a change of meaning (a setting to fix), a
// bug, or the store's or the catalog's.
func formatErr(err error) error {
	var ee *table.EncodeError
	switch {
	case err == nil, failure.Marked(err):
		return err
	case errors.As(err, &ee):
		return failure.New(failure.KindBug, err)
	case errors.Is(err, table.ErrLostRace):
		return failure.New(failure.KindLostRace, err)
	}
	return shapeErr(err)
}

// output returns the run's output.
func (rs *runState) output() table.Output { return table.NewOutput(rs.out, rs.res.Output.Prefix) }

// GC runs a garbage collection of the output at loc; see table.Output.GC.
func GC(ctx context.Context, b Bucket, loc settings.Location, opts table.GCOptions) (*table.GCResult, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	res, err := table.NewOutput(b, loc.Prefix).GC(ctx, opts)
	return res, failure.Storage(err)
}
