package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// cmdOutput runs the commands that read or tidy an output: ls, show,
// files, pin, migrate, gc and report.
func cmdOutput(ctx context.Context, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	var cfg settings.OutputConfig
	if err := parseConfig(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
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
		return icebergOutput(ctx, cmd, &cfg, stdout)
	}
	if cmd == "pin" {
		return &settings.ConfigError{Env: "LOGSMITH_TABLE_FORMAT", Flag: "table-format", Err: errors.New(
			"pin prints Iceberg snapshots (--table-format iceberg); the hive layout has none: the record of what a reader read is `logsmith files --json`")}
	}
	out, loc, err := job.OpenOutput(&cfg)
	if err != nil {
		return err
	}
	tables, err := out.Tables(ctx)
	if err != nil {
		return job.StorageError(err)
	}
	switch cmd {
	case "show":
		if cfg.Chart || cfg.Hours {
			_, noColor := env["NO_COLOR"]
			return showPictures(ctx, stdout, tables, &cfg, isTerminal(stdout) && !noColor)
		}
		return show(ctx, stdout, tables, cfg.Date, cfg.Wait)
	case "report":
		return writeReport(ctx, stdout, tables, &cfg)
	case "files":
		return files(ctx, stdout, tables, loc, &cfg)
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
		return job.StorageError(err)
	case "gc":
		res, err := gcOutput(ctx, &cfg, out, loc)
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
			return job.StorageError(err)
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

// coveredText says how much of its date a partition's input covered:
// "day", "partly HH:MM-HH:MM" (UTC), "none", or "-" when the manifest
// does not say.
func coveredText(m *table.Manifest) string {
	c := m.Covered
	switch {
	case c == nil:
		return "-"
	case c.Whole(m.Date):
		return "day"
	case !c.To.After(c.From):
		return "none"
	}
	end := c.To.Format("15:04")
	if c.To.Sub(c.From) > 0 && c.To.Format(time.DateOnly) != m.Date {
		end = "24:00"
	}
	return "partly " + c.From.Format("15:04") + "-" + end
}

// show prints the committed manifest of a date in every table.
func show(ctx context.Context, stdout io.Writer, tables []table.Table, date string, wait time.Duration) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	found := false
	for _, t := range tables {
		m, err := t.Committed(ctx, date, wait)
		if err != nil {
			return job.StorageError(fmt.Errorf("show %s: %w", date, err))
		}
		if m == nil {
			continue
		}
		found = true
		if err := enc.Encode(m); err != nil {
			return err
		}
	}
	if !found {
		return job.StorageError(fmt.Errorf("show %s: no committed partition: %w", date, storage.ErrNotExist))
	}
	return nil
}

// files prints the URL of every committed data object, one per line (or
// with sizes, hashes and ETags as JSON lines). When there is none in the
// format asked for but there are in another, it fails saying so: printing
// nothing would read as "no data".
func files(ctx context.Context, stdout io.Writer, tables []table.Table, loc settings.Location, cfg *settings.OutputConfig) error {
	enc := json.NewEncoder(stdout)
	printed := 0
	for _, t := range tables {
		if cfg.Window != "" && t.Window != cfg.Window {
			if t.Dir {
				continue
			}
		}
		fs, err := t.Files(ctx, cfg.From, cfg.To, cfg.Format, cfg.Wait)
		if err != nil {
			return job.StorageError(err)
		}
		for _, f := range fs {
			if cfg.Window != "" && f.Window != cfg.Window {
				continue
			}
			printed++
			u := loc
			u.Prefix = f.Key
			if cfg.JSON {
				if err := enc.Encode(struct {
					URL string `json:"url"`
					table.DataFile
				}{u.String(), f}); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintln(stdout, u.String())
		}
	}
	if printed > 0 {
		return nil
	}
	return otherFormats(ctx, tables, cfg)
}

// otherFormats returns an error naming the formats the committed
// partitions in cfg's range have when cfg.Format is not one of them, or
// nil.
func otherFormats(ctx context.Context, tables []table.Table, cfg *settings.OutputConfig) error {
	var have []string
	for _, f := range table.Formats {
		if f == cfg.Format {
			continue
		}
		for _, t := range tables {
			if cfg.Window != "" && t.Window != cfg.Window && t.Dir {
				continue
			}
			fs, err := t.Files(ctx, cfg.From, cfg.To, f, cfg.Wait)
			if err != nil {
				return job.StorageError(err)
			}
			if slices.ContainsFunc(fs, func(d table.DataFile) bool { return cfg.Window == "" || d.Window == cfg.Window }) {
				have = append(have, f)
				break
			}
		}
	}
	if len(have) == 0 {
		return nil
	}
	return job.StorageError(fmt.Errorf("files: no committed %s files in %s%s; its partitions have %s (--format %s lists them)",
		cfg.Format, cfg.Output, rangeText(cfg), strings.Join(have, ", "), have[0]))
}

// rangeText renders an output command's date range and window, or "".
func rangeText(cfg *settings.OutputConfig) string {
	s := ""
	if cfg.From != "" || cfg.To != "" {
		s += fmt.Sprintf(" from %s to %s", cmp.Or(cfg.From, "the first date"), cmp.Or(cfg.To, "the last"))
	}
	if cfg.Window != "" {
		s += " for window " + cfg.Window
	}
	return s
}

// gcOutput collects what the output's commits no longer need (see
// table.Output.GC), for --date or every date.
func gcOutput(ctx context.Context, cfg *settings.OutputConfig, out table.Output, loc settings.Location) (*table.GCResult, error) {
	opts := table.GCOptions{Now: time.Now(), Grace: cfg.GCGrace, RejectsRetention: cfg.RejectsRetention, DryRun: cfg.DryRun}
	if cfg.Date != "" {
		opts.Dates = []string{cfg.Date}
	}
	return job.GC(ctx, out.Bucket, loc, opts)
}
