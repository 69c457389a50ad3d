package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/metrics"
	"github.com/logsmith/logsmith/ui"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// build is what the binary knows of its source: the version and commit
// given with -ldflags, else those the go command stamped from the VCS.
type build struct {
	version, commit string
	modified        bool   // the working tree had uncommitted changes
	time            string // the commit's time, RFC 3339
}

// readBuild returns the build of this binary.
func readBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, bi)
}

// buildOf combines the -ldflags values with bi (nil when unknown): a go
// build in a checkout stamps vcs.revision, vcs.modified and vcs.time, and
// since Go 1.24 a module version (a tag, or a pseudo-version of the
// commit); go install module@version stamps that version.
func buildOf(version, commit string, bi *debug.BuildInfo) build {
	b := build{version: version, commit: commit}
	if bi == nil {
		return b
	}
	if b.version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.version = strings.TrimSuffix(bi.Main.Version, "+dirty")
	}
	if b.commit != "" {
		return b
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		case "vcs.time":
			b.time = s.Value
		}
	}
	return b
}

// commitString names the commit built: its hash, "+modified" when the
// tree had changes, or "unknown".
func commitString() string {
	b := readBuild()
	return b.commitText()
}

func (b build) commitText() string {
	c := b.commit
	if c == "" {
		return "unknown"
	}
	if b.modified {
		c += "+modified"
	}
	return c
}

// versionString is what --version prints and manifests record.
func versionString() string { return readBuild().String(runtime.Version()) }

// String renders b with the Go version go.
func (b build) String(goVersion string) string {
	at := ""
	if b.time != "" {
		at = " of " + b.time
	}
	return fmt.Sprintf("logsmith %s (commit %s%s, %s)", b.version, b.commitText(), at, goVersion)
}

// run is the whole program behind main, with its environment passed in.
func run(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, env, stdin, stdout, stderr)
	if len(args) > 0 {
		err = cli.BlameLater(err, args[1:], env)
	}
	return err
}

func dispatch(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cli.Usage)
		return &job.ConfigError{Env: "command", Err: errors.New("missing command")}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionString())
		fmt.Fprintln(stdout, "gzip inflater:", features.Inflater())
		return nil
	case "-h", "--help", "help":
		if len(args) > 1 && cli.ConfigOf(args[1]) != nil || len(args) > 1 && args[1] == "config" {
			// logsmith help run is logsmith run --help.
			return dispatch(ctx, []string{args[1], "--help"}, env, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] != "" {
			fmt.Fprint(stderr, cli.Usage)
			return &job.ConfigError{Env: "command", Err: fmt.Errorf("help: unknown command %q", args[1])}
		}
		fmt.Fprint(stdout, cli.Usage)
		return nil
	case "completion":
		return cli.Completion(args[1:], stdout)
	case "run", "merge":
		return cmdRun(ctx, args[0], args[1:], env, stdin, stdout, stderr)
	case "generate":
		return cmdGenerate(ctx, args[1:], env, stdout, stderr)
	case "backfill":
		return cmdBackfill(ctx, args[1:], env, stdout, stderr)
	case "peek":
		return cmdPeek(ctx, args[1:], env, stdin, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, args[1:], env, stdout, stderr)
	case "ls", "show", "gc", "files", "migrate", "pin", "report":
		return cmdOutput(ctx, args[0], args[1:], env, stdout)
	case "config":
		return cli.PrintConfig(args[1:], env, stdout)
	case "table":
		return cmdTable(ctx, args[1:], env, stdout, stderr)
	}
	fmt.Fprint(stderr, cli.Usage)
	return &job.ConfigError{Env: "command", Err: fmt.Errorf("unknown command %q", args[0])}
}

// runMode is the metrics' mode label of a run: one shard of a sharded run
// ("shard"), which commits nothing, or a run or merge that commits the day
// ("daily", what the alert on the last success watches).
func runMode(cmd string, cfg *job.Config) string {
	if cmd != "merge" && cfg.AsksShard() {
		return "shard"
	}
	return "daily"
}

func cmdRun(ctx context.Context, cmd string, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg job.Config
	if err := cli.Parse(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	level, err := ui.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return &job.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
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
				sum.Error, sum.ExitCode = err.Error(), job.ExitCode(err)
			}
			out = sum
		case err != nil:
			out = jsonError{err.Error(), job.ExitCode(err)}
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
	_ = json.NewEncoder(w).Encode(jsonError{err.Error(), job.ExitCode(err)})
}

func cmdGenerate(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg job.GenerateConfig
	if err := cli.Parse(&cfg, "generate", args, env, stdout); err != nil {
		return err
	}
	sum, err := job.Generate(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d objects, %d lines, %d bytes uncompressed to %s\n", sum.Objects, sum.Lines, sum.Bytes, sum.Output)
	return nil
}

func cmdBackfill(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg job.BackfillConfig
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
		return &job.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
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
