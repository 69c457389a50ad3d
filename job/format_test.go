package job

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// A table format's errors become kinds by table's sentinels alone, the
// same for every format: what job does about an error never depends on
// which format returned it.
func TestFormatErrKinds(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("commit 2025-11-08 of t: %w", err) }
	for _, tc := range []struct {
		err  error
		kind failure.Kind
	}{
		{wrap(table.ErrLostRace), failure.KindLostRace},
		{wrap(table.ErrShapeChanged), failure.KindBadSetting},
		{wrap(table.ErrDropping), failure.KindRetry},
		{wrap(table.ErrManifestTooLarge), failure.KindHalt},
		{wrap(&table.EncodeError{Format: "parquet", Err: errors.New("boom")}), failure.KindBug},
		{wrap(storage.ErrPermission), failure.KindFixAccess},
		{wrap(storage.ErrNotExist), failure.KindRetry},
		{wrap(errors.New("catalog unreachable")), failure.KindRetry},
		{failure.New(failure.KindFewerEvents, wrap(table.ErrLostRace)), failure.KindFewerEvents},
		{wrap(context.Canceled), failure.KindInterrupted},
	} {
		if got := failure.KindOf(formatErr(tc.err)); got != tc.kind {
			t.Errorf("%v: kind %v, want %v", tc.err, got, tc.kind)
		}
	}
	if formatErr(nil) != nil {
		t.Error("formatErr(nil) is not nil")
	}
}
