package iceberg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// A commit with no rows for a date that holds no file makes no snapshot, so
// the catalog could not order it against another run's commit: it changes
// nothing, and a run with rows that read the same head still commits (the
// empty run had nothing to replace). An empty commit over files is a real
// replacement: it makes a snapshot and a stale run then loses.
func TestEmptyCommitChangesNothing(t *testing.T) {
	s := newSetup(t, "local", "sqlite")
	c := open(t, s.opts)
	ctx := context.Background()
	tb := table5m(t, c)
	const d = "2025-11-08"
	if _, err := tb.CommitDate(ctx, d, nil, iceberg.CommitMeta{RunID: "B"}, nil); err != nil {
		t.Fatal(err)
	}
	if h, err := tb.Head(ctx, d); err != nil || h != nil {
		t.Fatalf("after an empty commit of a date without files: head %+v, %v; want none", h, err)
	}
	a, err := tb.CommitDate(ctx, d, genRows(d, 3, 1), iceberg.CommitMeta{RunID: "A"}, nil)
	if err != nil || a.SnapshotID == 0 {
		t.Fatalf("the run with rows: %+v, %v", a, err)
	}
	// Now the date has files: an empty commit replaces them (a snapshot),
	// and a run that read the head before it loses.
	head, err := tb.Head(ctx, d)
	if err != nil || head == nil {
		t.Fatal(head, err)
	}
	e, err := tb.CommitDate(ctx, d, nil, iceberg.CommitMeta{RunID: "C"}, head)
	if err != nil || e.SnapshotID == a.SnapshotID {
		t.Fatalf("an empty commit over files: %+v, %v; want a new snapshot", e, err)
	}
	if _, err := tb.CommitDate(ctx, d, genRows(d, 3, 2), iceberg.CommitMeta{RunID: "D"}, head); !errors.Is(err, table.ErrLostRace) {
		t.Fatalf("a run holding the old head: %v, want ErrLostRace", err)
	}
}
