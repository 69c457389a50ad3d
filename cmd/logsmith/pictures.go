package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/report"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// showPictures is show --chart and show --hours: the date's hourly numbers
// of one table, read from its committed rows.
func showPictures(ctx context.Context, stdout io.Writer, tables []table.Table, cfg *job.OutputConfig, color bool) error {
	names := make([]string, len(tables))
	committed := false
	for i, t := range tables {
		var err error
		if names[i], err = windowOf(ctx, t, cfg.Date, cfg.Wait); err != nil {
			return job.StorageError(fmt.Errorf("show %s: %w", cfg.Date, err))
		}
		committed = committed || names[i] != ""
	}
	if !committed {
		return job.StorageError(fmt.Errorf("show %s: no committed partition: %w", cfg.Date, storage.ErrNotExist))
	}
	t, err := hourlyTable(tables, names, cfg.Window)
	if err != nil {
		return err
	}
	p, err := report.Read(ctx, t, cfg.Date, cfg.Wait)
	if err != nil {
		return job.StorageError(fmt.Errorf("show %s: %w", cfg.Date, err))
	}
	hours, err := p.Hours()
	if err != nil {
		return &job.ConfigError{Env: job.EnvPrefix + "WINDOW", Flag: "window", Err: err}
	}
	switch {
	case cfg.Chart:
		return report.WriteText(stdout, p, hours, report.TextOptions{Color: color})
	case cfg.JSON:
		return json.NewEncoder(stdout).Encode(struct {
			Date     string          `json:"date"`
			Window   string          `json:"window"`
			RunID    string          `json:"run_id"`
			Rows     int             `json:"rows"`
			Hours    []report.Hour   `json:"hours"`
			BadLines []report.Reason `json:"bad_lines_by_reason"`
		}{p.Date, p.Window, p.Manifest.RunID, p.Rows, hours, p.BadLines()})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "%s, table %s (run %s), per UTC hour:\n", p.Date, p.Window, p.Manifest.RunID)
	fmt.Fprintln(tw, "HOUR\tEVENTS\tERRORS\tERROR_RATE\tP99_MS\t")
	for _, h := range hours {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t\n", h.Start.Format("15:04"), h.Events, h.Errors, rateText(h.ErrorRate), p99Text(h.P99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bad lines of the run by reason: %d of %d lines\n", p.Manifest.BadLines, p.Manifest.Lines)
	for _, r := range p.BadLines() {
		fmt.Fprintf(stdout, "  %s\t%d\n", r.Reason, r.Lines)
	}
	return nil
}

func rateText(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.6f", *r)
}

func p99Text(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3f", *v)
}

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

// hourlyTable returns the table named window, or when window is empty the
// tumbling table whose windows are the longest that fit an hour: the
// hourly sums are the same in each such table, its p99s the closest to an
// hour's. names are the tables' window names (see windowOf).
func hourlyTable(tables []table.Table, names []string, window string) (table.Table, error) {
	for i, t := range tables {
		if window != "" && names[i] == window {
			return t, nil
		}
	}
	bad := func(err error) error {
		return &job.ConfigError{Env: job.EnvPrefix + "WINDOW", Flag: "window", Err: err}
	}
	var have []string
	for _, n := range names {
		if n != "" {
			have = append(have, n)
		}
	}
	if window != "" {
		if slices.ContainsFunc(tables, func(t table.Table) bool { return t.Dir && t.Window == window }) {
			return table.Table{}, job.StorageError(fmt.Errorf("table %s: no committed partition of the date: %w", window, storage.ErrNotExist))
		}
		return table.Table{}, bad(fmt.Errorf("%q: no table with a commit of the date; those with one: %s", window, strings.Join(have, ", ")))
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
		if len(tables) == 0 {
			return table.Table{}, job.StorageError(fmt.Errorf("no table: %w", storage.ErrNotExist))
		}
		return table.Table{}, bad(fmt.Errorf("required: no table with a commit of the date has tumbling windows of an hour or less (those with one: %s)", strings.Join(have, ", ")))
	}
	return tables[best], nil
}

// writeReport is logsmith report: the HTML page of the committed
// partitions from the first date to the last.
func writeReport(ctx context.Context, stdout io.Writer, tables []table.Table, cfg *job.OutputConfig) error {
	from, to, err := cfg.ReportDates()
	if err != nil {
		return err
	}
	parts, err := readRange(ctx, tables, cfg.Window, from, to, cfg.Wait)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("logsmith: %s, %s", cfg.Output, from)
	if to != from {
		title += " to " + to
	}
	return report.WriteHTML(stdout, title, parts)
}

// readRange reads every committed partition from from to to of the tables
// (only window's when set), by date then table. It fails with
// storage.ErrNotExist when there is none.
func readRange(ctx context.Context, tables []table.Table, window, from, to string, wait time.Duration) ([]*report.Partition, error) {
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
			return nil, job.StorageError(err)
		}
		for _, d := range dates {
			if d >= from && d <= to {
				want = append(want, dated{d, t})
			}
		}
	}
	slices.SortStableFunc(want, func(a, b dated) int { return strings.Compare(a.date, b.date) })
	var parts []*report.Partition
	for _, w := range want {
		p, err := report.Read(ctx, w.t, w.date, wait)
		if errors.Is(err, storage.ErrNotExist) {
			continue // a folder without a commit
		}
		if err != nil {
			return nil, job.StorageError(err)
		}
		if window != "" && p.Window != window {
			continue
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		what := "no committed partition from " + from + " to " + to
		if window != "" {
			what += " in table " + window
		}
		return nil, job.StorageError(fmt.Errorf("report: %s: %w", what, storage.ErrNotExist))
	}
	return parts, nil
}

// writeRunReport writes --report: the HTML page of the partitions the run
// committed, to a temporary file renamed over cfg.Report. The commits
// stand whatever happens here.
func writeRunReport(ctx context.Context, cfg *job.Config, sum *job.Summary) error {
	fail := func(err error) error {
		return fmt.Errorf("write report %s (the run's commits stand): %w", cfg.Report, err)
	}
	oc := job.OutputConfig{Output: cfg.Output, S3: cfg.S3}
	out, _, err := job.OpenOutput(&oc)
	if err != nil {
		return fail(err)
	}
	tables, err := out.Tables(ctx)
	if err != nil {
		return job.StorageError(fail(err))
	}
	var parts []*report.Partition
	for _, p := range sum.Partitions {
		if p.Status != job.StatusCommitted {
			continue
		}
		// A window=W folder, or the output's root table, which an output
		// of one table has instead.
		i := slices.IndexFunc(tables, func(t table.Table) bool { return t.Dir && t.Window == p.Window })
		if i < 0 {
			i = slices.IndexFunc(tables, func(t table.Table) bool { return !t.Dir })
		}
		if i < 0 {
			return job.StorageError(fail(fmt.Errorf("table %s: %w", p.Window, storage.ErrNotExist)))
		}
		rp, err := report.Read(ctx, tables[i], p.Date, cfg.CommitLease)
		if err != nil {
			return job.StorageError(fail(err))
		}
		if rp.Window != p.Window {
			return job.StorageError(fail(fmt.Errorf("table %s date %s: the output's root holds table %s", p.Window, p.Date, rp.Window)))
		}
		if rp.Manifest.RunID != sum.RunID {
			return job.StorageError(fail(fmt.Errorf("table %s date %s: run %s has replaced this run's commit since", p.Window, p.Date, rp.Manifest.RunID)))
		}
		parts = append(parts, rp)
	}
	slices.SortStableFunc(parts, func(a, b *report.Partition) int { return strings.Compare(a.Date, b.Date) })
	tmp, err := os.CreateTemp(filepath.Dir(cfg.Report), "."+filepath.Base(cfg.Report)+".tmp-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o644) // a page to share, as a file the shell would create
	if err == nil {
		err = report.WriteHTML(tmp, fmt.Sprintf("logsmith run %s: %s", sum.RunID, cfg.Output), parts)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), cfg.Report)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}
