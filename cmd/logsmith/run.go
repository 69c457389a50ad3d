package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/metrics"
	"github.com/logsmith/logsmith/report"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/ui"
)

// runMode is the metrics' mode label of a run: one shard of a sharded run
// ("shard"), which commits nothing, or a run or merge that commits the day
// ("daily", what the alert on the last success watches).
func runMode(cmd string, cfg *settings.Config) string {
	if cmd != "merge" && cfg.AsksShard() {
		return "shard"
	}
	return "daily"
}

func cmdRun(ctx context.Context, cmd string, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg settings.Config
	if err := cli.Parse(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	level, err := ui.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	// On a terminal, the progress display and the log share stderr: each
	// record starts a line of its own, never after the display's text.
	terminal, logTo := ui.IsTerminal(stderr), stderr
	var tl *ui.TermLines
	if terminal && !cfg.Quiet {
		tl = ui.NewTermLines(stderr)
		defer tl.EndLine()
		logTo = tl
	}
	log := ui.NewLogger(logTo, level, terminal)
	opts := job.Options{Logger: log, Stdin: stdin, Version: versionString(), Retries: new(atomic.Int64)}
	mcfg := &cfg
	if cmd == "merge" {
		mcfg = cfg.ForMerge()
	}
	if opts.Memory, err = memoryGuard(mcfg, cmd, 1); err != nil {
		if cfg.JSON {
			// The check resolves the config as the run does: a bad
			// setting it meets is reported as the run would report it.
			printJSONError(stdout, err)
		}
		return err
	}
	var bar *ui.Progress
	if tl != nil {
		bar = ui.NewProgress(tl.Display())
		opts.Progress = bar
	}
	start := time.Now()
	run := job.Run
	if cmd == "merge" {
		run = job.Merge
	}
	sum, err := run(ctx, cfg, opts)
	if bar != nil {
		if err != nil {
			// The display keeps the phase the run failed in, on a line
			// of its own before the error.
			bar.Stop()
			tl.EndLine()
		} else {
			bar.Finish()
		}
	}
	if err == nil && cfg.Report != "" {
		err = writeRunReport(ctx, &cfg, sum)
	}
	if cfg.PushgatewayURL != "" {
		m := metrics.Run{Mode: runMode(cmd, &cfg), Success: err == nil, Start: start, End: time.Now(), Version: readBuild().version, Commit: commitString()}
		m.Add(sum)
		m.Retries = opts.Retries.Load()
		metrics.Send(ctx, cfg.PushgatewayURL, m, log)
	}
	if cfg.JSON {
		// A failed run prints its summary too, with the error and the
		// exit code, so that a script reading stdout learns why.
		var out any
		switch {
		case sum != nil:
			if err != nil {
				sum.Error, sum.ExitCode = err.Error(), failure.ExitCode(err)
			}
			out = sum
		case err != nil:
			out = jsonError{err.Error(), failure.ExitCode(err)}
		}
		if out != nil {
			if jerr := json.NewEncoder(stdout).Encode(out); err == nil {
				err = jerr
			}
		}
	}
	if err != nil {
		return err
	}
	log.Info("run done", "run_id", sum.RunID, "date", sum.Date, "objects", sum.Objects, "bytes_read", sum.BytesRead, "lines", sum.Lines,
		"bad_lines", sum.BadLines, "windows", sum.Windows, "rows", sum.Rows, "files", len(sum.Files),
		"seconds", sum.DurationSec)
	if !cfg.JSON {
		ui.PrintSummary(stdout, sum)
	}
	return nil
}

// jsonError is what --json prints of a run that failed before it had a
// summary.
type jsonError struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
}

// printJSONError prints err as --json does. A failure to print is not
// reported: the exit code already says the run failed, and why is on
// standard error.
func printJSONError(w io.Writer, err error) {
	_ = json.NewEncoder(w).Encode(jsonError{err.Error(), failure.ExitCode(err)})
}

// writeRunReport writes --report: the HTML page of the partitions the run
// committed. The commits stand whatever happens here.
func writeRunReport(ctx context.Context, cfg *settings.Config, sum *job.Summary) error {
	// The output and its S3 settings as the run resolved them.
	res, err := cfg.Resolve(time.Now())
	var out table.Output
	if err == nil {
		out, _, err = job.OpenOutput(&settings.OutputConfig{Output: res.Output.String(), S3: res.S3})
	}
	var tables []table.Table
	if err == nil {
		tables, err = out.Tables(ctx)
	}
	var parts []*report.Partition
	if err == nil {
		parts, err = report.ReadRun(ctx, tables, sum.RunID, sum.Partitions, cfg.CommitLease)
	}
	if err != nil {
		return failure.Storage(fmt.Errorf("write report %s (the run's commits stand): %w", cfg.Report, err))
	}
	if err := report.WriteHTMLFile(cfg.Report, fmt.Sprintf("logsmith run %s: %s", sum.RunID, sum.Output), parts); err != nil {
		return fmt.Errorf("write report %s (the run's commits stand): %w", cfg.Report, err)
	}
	return nil
}
