package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// ErrNoTable means the table asked for is not one of the output's tables
// with a commit of the date.
var ErrNoTable = errors.New("no such table")

// windowOf returns the window name of table t's commit of date: the name
// of its window=W folder or, for the table at the output's root (an output
// of one table), the one the commit records; "" when t has no commit of
// date, so that a table chosen has one.
func windowOf(ctx context.Context, t table.Table, date string, wait time.Duration) (string, error) {
	m, err := t.Committed(ctx, date, wait)
	if err != nil || m == nil {
		return "", err
	}
	if t.Dir {
		return t.Window, nil
	}
	return m.Window, nil
}

// Choose returns the table to draw per hour for date: the one named window
// or, when window is empty, of the tables with a commit of the date the
// one whose tumbling windows are the longest inside an hour (the hourly
// sums are the same in each; its p99s are the closest to an hour's). It
// fails with storage.ErrNotExist when the date (or the named table's
// date) has no commit, ErrNoTable when no table is named window, and
// ErrNotHourly when no table can be summed per hour.
func Choose(ctx context.Context, tables []table.Table, date, window string, wait time.Duration) (table.Table, error) {
	names := make([]string, len(tables))
	var have []string
	for i, t := range tables {
		var err error
		if names[i], err = windowOf(ctx, t, date, wait); err != nil {
			return table.Table{}, fmt.Errorf("read %s: %w", t.ManifestKey(date), err)
		}
		if names[i] != "" {
			have = append(have, names[i])
		}
		if window != "" && names[i] == window {
			return t, nil
		}
	}
	switch {
	case len(have) == 0:
		return table.Table{}, fmt.Errorf("%s: no committed partition: %w", date, storage.ErrNotExist)
	case window != "" && slices.ContainsFunc(tables, func(t table.Table) bool { return t.Dir && t.Window == window }):
		return table.Table{}, fmt.Errorf("table %s: no committed partition of %s: %w", window, date, storage.ErrNotExist)
	case window != "":
		return table.Table{}, fmt.Errorf("%q: %w with a commit of %s; those with one: %s", window, ErrNoTable, date, strings.Join(have, ", "))
	}
	best, bestLen := -1, time.Duration(0)
	for i := range tables {
		d, err := time.ParseDuration(names[i])
		if err != nil || d > time.Hour || time.Hour%d != 0 {
			continue // sliding (LENGTH-every-SLIDE), or not inside an hour
		}
		if d > bestLen {
			best, bestLen = i, d
		}
	}
	if best < 0 {
		return table.Table{}, fmt.Errorf("no table of %s has tumbling windows of an hour or less (%s): %w", date, strings.Join(have, ", "), ErrNotHourly)
	}
	return tables[best], nil
}

// ReadRange reads every committed partition from from to to (inclusive)
// of the tables, only window's when it is set, by date then table. It
// fails with storage.ErrNotExist when there is none.
func ReadRange(ctx context.Context, tables []table.Table, window, from, to string, wait time.Duration) ([]*Partition, error) {
	type dated struct {
		date string
		t    table.Table
	}
	var want []dated
	for _, t := range tables {
		if window != "" && t.Dir && t.Window != window {
			continue // the root table's window is its manifests': checked once read
		}
		dates, err := t.Dates(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dates {
			if d >= from && d <= to {
				want = append(want, dated{d, t})
			}
		}
	}
	slices.SortStableFunc(want, func(a, b dated) int { return strings.Compare(a.date, b.date) })
	var parts []*Partition
	for _, w := range want {
		p, err := Read(ctx, w.t, w.date, wait)
		if errors.Is(err, storage.ErrNotExist) {
			continue // a folder without a commit
		}
		if err != nil {
			return nil, err
		}
		if window == "" || p.Window == window {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		what := "no committed partition from " + from + " to " + to
		if window != "" {
			what += " in table " + window
		}
		return nil, fmt.Errorf("%s: %w", what, storage.ErrNotExist)
	}
	return parts, nil
}

// ReadRun reads the partitions a run committed (the results of status
// table.StatusCommitted), by date. Each must still be that run's commit.
func ReadRun(ctx context.Context, tables []table.Table, runID string, results []table.Result, wait time.Duration) ([]*Partition, error) {
	var parts []*Partition
	for _, r := range results {
		if r.Status != table.StatusCommitted {
			continue
		}
		// A window=W folder, or the output's root table, which an output
		// of one table has instead.
		i := slices.IndexFunc(tables, func(t table.Table) bool { return t.Dir && t.Window == r.Window })
		if i < 0 {
			i = slices.IndexFunc(tables, func(t table.Table) bool { return !t.Dir })
		}
		if i < 0 {
			return nil, fmt.Errorf("table %s: %w", r.Window, storage.ErrNotExist)
		}
		p, err := Read(ctx, tables[i], r.Date, wait)
		switch {
		case err != nil:
			return nil, err
		case p.Window != r.Window:
			return nil, fmt.Errorf("table %s date %s: the output's root holds table %s", r.Window, r.Date, p.Window)
		case p.Manifest.RunID != runID:
			return nil, fmt.Errorf("table %s date %s: run %s has replaced run %s's commit since", r.Window, r.Date, p.Manifest.RunID, runID)
		}
		parts = append(parts, p)
	}
	slices.SortStableFunc(parts, func(a, b *Partition) int { return strings.Compare(a.Date, b.Date) })
	return parts, nil
}
