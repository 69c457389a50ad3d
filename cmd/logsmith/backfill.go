package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/metrics"
	"github.com/logsmith/logsmith/ui"
)

func cmdBackfill(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg settings.BackfillConfig
	origins, err := cli.ParseLayers(&cfg, "backfill", args, env, stdout)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := checkSkipCommitted(&cfg, origins); err != nil {
		return err
	}
	dates, err := cfg.Dates()
	if err != nil {
		return err
	}
	guard, err := memoryGuard(&cfg.Config, "backfill", cfg.Parallel) // no error but a merge's
	if err != nil {
		return err
	}
	level, err := ui.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	terminal, logTo := ui.IsTerminal(stderr), stderr
	var tl *ui.TermLines
	if terminal && !cfg.Quiet {
		tl = ui.NewTermLines(stderr)
		defer tl.EndLine()
		logTo = tl
	}
	log := ui.NewLogger(logTo, level, terminal)
	var bar *ui.DateProgress
	if tl != nil {
		bar = ui.NewDateProgress(tl.Display(), len(dates))
	}
	retries := new(atomic.Int64)
	m := metrics.Run{Mode: "backfill", Start: time.Now(), Version: readBuild().version, Commit: commitString()}
	var mu sync.Mutex
	results, err := job.Backfill(ctx, cfg, job.Options{Logger: log, Version: versionString(), Retries: retries, Memory: guard}, func(r job.DateResult) {
		log.Info("date done", "date", r.Date, "status", r.Status, "rows", r.Rows, "error", r.Error)
		mu.Lock()
		m.Add(r.Summary)
		mu.Unlock()
		if bar != nil {
			bar.Done(r.Date, r.Status, r.Error)
		}
	})
	if tl != nil {
		tl.EndLine() // what follows, on stdout too, starts a line
	}
	if cfg.PushgatewayURL != "" {
		m.Success, m.End, m.Retries = err == nil, time.Now(), retries.Load()
		metrics.Send(ctx, cfg.PushgatewayURL, m, log)
	}
	if cfg.JSON {
		if jerr := json.NewEncoder(stdout).Encode(results); err == nil {
			err = jerr
		}
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tSTATUS\tROWS\tRUN\tREASON")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Date, r.Status, r.Rows, r.RunID, r.Error)
	}
	tw.Flush()
	return err
}

// checkSkipCommitted refuses a backfill given --skip-committed (or its
// variable, or the config file's key) with a value that contradicts what
// a backfill does: skip the dates already committed from the same input
// and config unless --force. Ignored, a --skip-committed=false meant to
// recompute them would silently not.
func checkSkipCommitted(cfg *settings.BackfillConfig, origins map[string]cli.Origin) error {
	o, ok := origins[settings.EnvPrefix+"SKIP_COMMITTED"]
	if !ok || o.Layer == "default" || cfg.SkipCommitted == !cfg.Force {
		return nil
	}
	return &settings.ConfigError{Env: settings.EnvPrefix + "SKIP_COMMITTED", Flag: "skip-committed",
		Err: fmt.Errorf("%v (from the %s) contradicts --force=%v: a backfill skips committed dates unless --force; give --force to recompute them, and leave --skip-committed out", cfg.SkipCommitted, o.Layer, cfg.Force)}
}
