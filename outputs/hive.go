package outputs

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

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
			return failure.Storage(fmt.Errorf("show %s: %w", date, err))
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
		return failure.Storage(fmt.Errorf("show %s: no committed partition: %w", date, storage.ErrNotExist))
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
			return failure.Storage(err)
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
				return failure.Storage(err)
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
	return failure.Storage(fmt.Errorf("files: no committed %s files in %s%s; its partitions have %s (--format %s lists them)",
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
