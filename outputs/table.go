package outputs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

// Table runs "logsmith table show" or "table drop" (sub) with its parsed
// settings cfg: print the output's tables and their shape, or drop one
// table so that the output may take another, logging to log. It checks
// cfg first.
func Table(ctx context.Context, sub string, cfg *settings.OutputConfig, log *slog.Logger, stdout io.Writer) error {
	if err := cfg.Validate(false); err != nil {
		return err
	}
	if sub == "drop" {
		res, err := job.DropTable(ctx, cfg, log)
		if res != nil && cfg.JSON {
			if jerr := json.NewEncoder(stdout).Encode(res); err == nil {
				err = jerr
			}
		} else if res != nil {
			fmt.Fprintf(stdout, "dropped table %s (%s): %d partitions\n", res.Window, res.Root, len(res.Dates))
		}
		return err
	}
	s, recorded, err := job.OutputShape(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(s)
	}
	if s == nil {
		fmt.Fprintln(stdout, "no tables")
		return nil
	}
	if !recorded {
		fmt.Fprintln(stdout, "(no head yet: inferred from the latest manifests; the next run records it)")
	}
	fmt.Fprintf(stdout, "layout %s\n", s.Layout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WINDOW\tDIMENSIONS\tSCHEMA\tCOLUMNS")
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Window, strings.Join(t.Dimensions, ","), t.SchemaVersion, strings.Join(t.Columns, ","))
	}
	for _, w := range s.Dropping {
		fmt.Fprintf(tw, "%s\t(being dropped)\t\t\n", w)
	}
	return tw.Flush()
}
