package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

// cmdTable runs `logsmith table show|drop`: print the output's tables and
// their shape, or drop one table so that the output may take another.
func cmdTable(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "drop") {
		return &settings.ConfigError{Env: "command", Err: errors.New(`table: want "table show" or "table drop"`)}
	}
	sub := args[0]
	var cfg settings.OutputConfig
	if err := parseConfig(&cfg, "table "+sub, args[1:], env, stdout); err != nil {
		return err
	}
	if err := cfg.Validate(false); err != nil {
		return err
	}
	if sub == "drop" {
		level, err := parseLogLevel("info")
		if err != nil {
			return err
		}
		res, err := job.DropTable(ctx, &cfg, newLogger(stderr, level, isTerminal(stderr)))
		if res != nil && cfg.JSON {
			if jerr := json.NewEncoder(stdout).Encode(res); err == nil {
				err = jerr
			}
		} else if res != nil {
			fmt.Fprintf(stdout, "dropped table %s (%s): %d partitions\n", res.Window, res.Root, len(res.Dates))
		}
		return err
	}
	s, recorded, err := job.OutputShape(ctx, &cfg)
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
