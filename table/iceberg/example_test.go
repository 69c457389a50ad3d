package iceberg_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// How a run commits one date of one window spec: open the catalog, open
// (create or evolve) the window's table, read the date's head when the run
// starts, and commit the date's rows against it.
func Example() {
	ctx := context.Background()
	cat, err := iceberg.Open(ctx, iceberg.Options{
		Catalog:   "sqlite:///var/lib/logsmith/catalog.db", // --iceberg-catalog
		Namespace: "logsmith",                              // --iceberg-namespace
		Warehouse: "/data/features",                        // --output
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cat.Close()
	cols := features.Columns{Dims: []string{"service"}, Status: true}
	tb, err := cat.Table(ctx, features.Window{Size: 5 * time.Minute}, cols) // features_5m
	if err != nil {
		fmt.Println(err) // errors.Is(err, iceberg.ErrIncompatible): the config changed the columns' meaning
		return
	}
	date := "2025-11-08"
	head, err := tb.Head(ctx, date) // at the start of the run: nil if never committed
	if err != nil {
		fmt.Println(err)
		return
	}
	var rows []features.Row // the date's rows, from features.Partial.Table
	h, err := tb.CommitDate(ctx, date, rows, iceberg.CommitMeta{RunID: "r1", Version: "v1.2.3", ConfigHash: "abc"}, head)
	switch {
	case errors.Is(err, table.ErrLostRace):
		fmt.Println("another run committed", date, "first") // exit 4
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println("snapshot", h.SnapshotID) // what a training run pins
	}
}
