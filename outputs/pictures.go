package outputs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/report"
	"github.com/logsmith/logsmith/table"
)

// showPictures is show --chart and show --hours: the date's hourly numbers
// of one table, read from its committed rows.
func showPictures(ctx context.Context, stdout io.Writer, tables []table.Table, cfg *settings.OutputConfig, color bool) error {
	t, err := report.Choose(ctx, tables, cfg.Date, cfg.Window, cfg.Wait)
	var p *report.Partition
	if err == nil {
		p, err = report.Read(ctx, t, cfg.Date, cfg.Wait)
	}
	var hours []report.Hour
	if err == nil {
		hours, err = p.Hours()
	}
	switch {
	case errors.Is(err, report.ErrNotHourly) || errors.Is(err, report.ErrNoTable):
		return &settings.ConfigError{Env: settings.EnvPrefix + "WINDOW", Flag: "window", Err: err}
	case err != nil:
		return failure.Storage(fmt.Errorf("show %s: %w", cfg.Date, err))
	case cfg.Chart:
		return report.WriteText(stdout, p, hours, report.TextOptions{Color: color})
	case cfg.JSON:
		return json.NewEncoder(stdout).Encode(report.NumbersOf(p, hours))
	}
	return report.WriteTable(stdout, p, hours)
}

// writeReport is logsmith report: the HTML page of the committed
// partitions from the first date to the last.
func writeReport(ctx context.Context, stdout io.Writer, tables []table.Table, cfg *settings.OutputConfig) error {
	from, to, err := cfg.ReportDates()
	if err != nil {
		return err
	}
	parts, err := report.ReadRange(ctx, tables, cfg.Window, from, to, cfg.Wait)
	if err != nil {
		return failure.Storage(fmt.Errorf("report: %w", err))
	}
	title := fmt.Sprintf("logsmith: %s, %s", cfg.Output, from)
	if to != from {
		title += " to " + to
	}
	return report.WriteHTML(stdout, title, parts)
}
