package job

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
		kind Kind
	}{
		{wrap(table.ErrLostRace), KindLostRace},
		{wrap(table.ErrShapeChanged), KindBadSetting},
		{wrap(table.ErrDropping), KindRetry},
		{wrap(table.ErrManifestTooLarge), KindHalt},
		{wrap(&table.EncodeError{Format: "parquet", Err: errors.New("boom")}), KindBug},
		{wrap(storage.ErrPermission), KindFixAccess},
		{wrap(storage.ErrNotExist), KindRetry},
		{wrap(errors.New("catalog unreachable")), KindRetry},
		{&kindError{KindFewerEvents, wrap(table.ErrLostRace)}, KindFewerEvents}, // the batch's own verdict stands
		{wrap(context.Canceled), KindInterrupted},
	} {
		if got := KindOf(formatErr(tc.err)); got != tc.kind {
			t.Errorf("%v: kind %v, want %v", tc.err, got, tc.kind)
		}
	}
	if formatErr(nil) != nil {
		t.Error("formatErr(nil) is not nil")
	}
}
