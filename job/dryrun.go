package job

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/job/settings"
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
	StatusWouldCommit  = table.StatusWouldCommit  // a partition no commit holds yet
	StatusWouldReplace = table.StatusWouldReplace // a partition a commit holds
)

// PlannedPartition is a partition a dry run would have committed.
type PlannedPartition = table.PlannedPartition

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
func openDryRun(loc settings.Location, s3 settings.S3Settings, p objio.Policy) (*objio.Bucket, error) {
	b, err := openStore(loc, s3, false)
	if err != nil {
		return nil, err
	}
	return objio.New(readOnly{b}, p), nil
}
