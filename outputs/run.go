package outputs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// Run runs cmd, one of the commands that read or tidy an output (ls, show,
// files, pin, migrate, gc and report), with its parsed settings cfg,
// printing to stdout; color says whether show --chart may color its text.
// It checks first that cmd takes the settings given.
func Run(ctx context.Context, cmd string, cfg *settings.OutputConfig, stdout io.Writer, color bool) error {
	if err := cfg.Validate(cmd == "show"); err != nil {
		return err
	}
	if (cfg.Chart || cfg.Hours) && cmd != "show" {
		flag := "chart"
		if cfg.Hours {
			flag = "hours"
		}
		return &settings.ConfigError{Env: settings.EnvPrefix + strings.ToUpper(flag), Flag: flag, Err: fmt.Errorf("applies to show, not %s", cmd)}
	}
	if cmd == "report" {
		if _, _, err := cfg.ReportDates(); err != nil {
			return err
		}
		if cfg.Iceberg() {
			return &settings.ConfigError{Env: "LOGSMITH_TABLE_FORMAT", Flag: "table-format", Err: errors.New("report: not yet with --table-format iceberg: it reads a hive table's Parquet")}
		}
	}
	if cfg.DryRun && cmd != "gc" {
		return &settings.ConfigError{Env: "LOGSMITH_DRY_RUN", Flag: "dry-run", Err: fmt.Errorf("applies to run, merge, backfill and gc, not %s", cmd)}
	}
	if cfg.Iceberg() {
		return icebergOutput(ctx, cmd, cfg, stdout)
	}
	if cmd == "pin" {
		return &settings.ConfigError{Env: "LOGSMITH_TABLE_FORMAT", Flag: "table-format", Err: errors.New(
			"pin prints Iceberg snapshots (--table-format iceberg); the hive layout has none: the record of what a reader read is `logsmith files --json`")}
	}
	out, loc, err := job.OpenOutput(cfg)
	if err != nil {
		return err
	}
	tables, err := out.Tables(ctx)
	if err != nil {
		return failure.Storage(err)
	}
	switch cmd {
	case "show":
		if cfg.Chart || cfg.Hours {
			return showPictures(ctx, stdout, tables, cfg, color)
		}
		return show(ctx, stdout, tables, cfg.Date, cfg.Wait)
	case "report":
		return writeReport(ctx, stdout, tables, cfg)
	case "files":
		return files(ctx, stdout, tables, loc, cfg)
	case "migrate":
		c := table.Committer{}
		var dates []string
		if cfg.Date != "" {
			dates = []string{cfg.Date}
		}
		done, err := out.Migrate(ctx, c, dates...)
		for _, d := range done {
			fmt.Fprintln(stdout, "migrated", d)
		}
		return failure.Storage(err)
	case "gc":
		res, err := gcOutput(ctx, cfg, out, loc)
		if err != nil {
			return err
		}
		if cfg.JSON {
			return json.NewEncoder(stdout).Encode(res)
		}
		verb := "deleted"
		if cfg.DryRun {
			verb = "would delete"
			fmt.Fprintln(stdout, "dry run: nothing deleted")
		}
		for _, d := range res.Deleted {
			fmt.Fprintln(stdout, verb, d)
		}
		for _, k := range res.Kept {
			fmt.Fprintln(stdout, "kept (within grace)", k)
		}
		return nil
	}
	var ms []*table.Manifest
	for _, t := range tables {
		tm, err := t.Manifests(ctx)
		if err != nil {
			return failure.Storage(err)
		}
		ms = append(ms, tm...)
	}
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(ms)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WINDOW\tDATE\tSTATE\tROWS\tRUN\tCOMMITTED\tINPUTS\tBAD_LINES\tOUT_OF_RANGE\tDAMAGED\tCOVERED")
	for _, m := range ms {
		at := m.CommittedAt
		if m.State == table.StateClaimed {
			at = m.ClaimedAt
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", m.Window, m.Date, m.State, m.Rows, m.RunID,
			at.Format(time.RFC3339), len(m.Inputs), m.BadLines, m.OutOfRange, len(m.Damaged), coveredText(m))
	}
	return tw.Flush()
}
