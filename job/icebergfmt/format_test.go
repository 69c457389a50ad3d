package icebergfmt

import (
	"errors"
	"fmt"
	"testing"

	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// A table whose committed rows the run would change the meaning of is
// table.ErrShapeChanged to job (a setting to fix), with its message and
// iceberg.ErrIncompatible kept; any other catalog error is left as it is.
func TestTableErr(t *testing.T) {
	inc := fmt.Errorf("table logsmith.features_5m: column p99 is a string: %w", iceberg.ErrIncompatible)
	got := tableErr(inc)
	if !errors.Is(got, table.ErrShapeChanged) || !errors.Is(got, iceberg.ErrIncompatible) || got.Error() != inc.Error() {
		t.Errorf("tableErr(%v) = %v: want it to wrap both sentinels, message unchanged", inc, got)
	}
	other := errors.New("catalog unreachable")
	if got := tableErr(other); got != other || errors.Is(got, table.ErrShapeChanged) {
		t.Errorf("tableErr(%v) = %v, want it as it is", other, got)
	}
}
