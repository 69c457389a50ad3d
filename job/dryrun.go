package job

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// ErrDryRun is the error of a write a dry run attempted: a dry run's
// output store refuses every write, so a path that forgot to skip one
// fails instead of writing.
var ErrDryRun = errors.New("dry run: writes nothing")

// Partition outcomes of a dry run.
const (
	StatusWouldCommit  = "would_commit"  // a partition no commit holds yet
	StatusWouldReplace = "would_replace" // a partition a commit holds
)

// PlannedPartition is a partition a dry run would have committed.
type PlannedPartition struct {
	Window string `json:"window"`
	Date   string `json:"date"`
	Rows   int    `json:"rows"`
	Events int64  `json:"events"`
	// Replaces is the run whose commit the partition would replace, with
	// its events; empty for a new partition.
	Replaces       string `json:"replaces_run,omitempty"`
	ReplacesEvents int64  `json:"replaces_events,omitempty"`
}

// dryRunError is a write a dry run refused. No retry helps.
type dryRunError struct{ op, key string }

func (e dryRunError) Error() string   { return fmt.Sprintf("%s %s: %v", e.op, e.key, ErrDryRun) }
func (e dryRunError) Unwrap() error   { return ErrDryRun }
func (e dryRunError) Permanent() bool { return true }

// readOnly is a store whose reads pass through and whose writes fail with
// ErrDryRun. It keeps the folder listing of the store it wraps.
type readOnly struct{ objio.Backend }

func (r readOnly) Put(_ context.Context, key string, _ io.Reader, _ int64, _ storage.PutOptions) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, dryRunError{"put", key}
}

func (r readOnly) Delete(_ context.Context, key string) error { return dryRunError{"delete", key} }

// ListDirs lists folders when the wrapped store can (table.Layout uses it
// when present).
func (r readOnly) ListDirs(ctx context.Context, prefix string, fn func(dir string) error) error {
	if dl, ok := r.Backend.(interface {
		ListDirs(context.Context, string, func(string) error) error
	}); ok {
		return dl.ListDirs(ctx, prefix, fn)
	}
	return errors.ErrUnsupported
}

// ReadAheadPays says what the wrapped store says.
func (r readOnly) ReadAheadPays() bool {
	ra, ok := r.Backend.(interface{ ReadAheadPays() bool })
	return ok && ra.ReadAheadPays()
}

// openDryRun opens the output of a dry run: as it is, creating nothing,
// and refusing every write.
func openDryRun(loc Location, s3 S3Settings, p objio.Policy) (*objio.Bucket, error) {
	b, err := openStore(loc, s3, false)
	if err != nil {
		return nil, err
	}
	return objio.New(readOnly{b}, p), nil
}

// plan records, instead of committing them, the partitions a dry run
// would commit and the commits they would replace.
func (rs *runState) plan(parts []*table.Partition) *Summary {
	for _, p := range parts {
		pp := PlannedPartition{Window: p.Manifest.Window, Date: p.Date, Rows: p.Manifest.Rows, Events: p.Manifest.PartitionEvents}
		status := StatusWouldCommit
		if prev := p.Head.Manifest.Committed(); prev != nil {
			status, pp.Replaces, pp.ReplacesEvents = StatusWouldReplace, prev.RunID, committedEvents(prev)
		}
		rs.sum.DryRun = append(rs.sum.DryRun, pp)
		rs.sum.Partitions = append(rs.sum.Partitions, PartitionResult{Window: pp.Window, Date: pp.Date, Status: status, RunID: rs.runID, Rows: pp.Rows})
	}
	rs.log.Info("dry run: nothing written", "partitions", len(parts))
	return rs.done()
}
