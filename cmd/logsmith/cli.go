package main

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
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

func commitString() string {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return c
}

// versionString is what --version prints and manifests record.
func versionString() string {
	return fmt.Sprintf("logsmith %s (commit %s, %s)", version, commitString(), runtime.Version())
}

// pushMetrics pushes and logs a failure; metrics never change the exit code.
func pushMetrics(ctx context.Context, url string, m runMetrics, log *slog.Logger) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := pushToGateway(pctx, url, m); err != nil {
		log.Warn("push metrics", "error", err)
	}
}

const usage = `logsmith turns JSON-lines logs in object storage into time-windowed features.

Usage:
  logsmith run      --input URL --output URL [--date D] [flags]   compute and commit features
  logsmith run      --shard i/n --run ID --date D [flags]        compute one shard's partial
  logsmith merge    --run ID --date D --output URL [flags]       merge the shards and commit
  logsmith plan     --input URL --output URL --date D [--plan-budget 1h] [--plan-file F]
                                                                 size a sharded run: the shard count, as text or JSON
  logsmith backfill --input TEMPLATE --output URL --from D --to D [--parallel N] [--force]
  logsmith ls       --output URL                                 list committed partitions
  logsmith show     --output URL --date D                        print a partition's manifest
  logsmith files    --output URL [--from D] [--to D] [--window W] [--format F]
                                                                 print the committed data objects' URLs
  logsmith gc       --output URL [--gc-grace 1h]                 delete files no commit needs
  logsmith migrate  --output URL [--date D]                      rewrite version 1 partitions (run=ID folders)
  logsmith table show --output URL                               print the output's tables and their shape
  logsmith table drop --output URL --window W                    remove a table, so the output may take another shape
  logsmith generate --output URL [flags]                         write synthetic logs
  logsmith --version

Run "logsmith <command> --help" for every setting, its environment variable and default.
`

// run is the whole program behind main, with its environment passed in.
func run(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &job.ConfigError{Env: "command", Err: errors.New("missing command")}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionString())
		fmt.Fprintln(stdout, "gzip inflater:", features.Inflater())
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "run", "merge":
		return cmdRun(ctx, args[0], args[1:], env, stdin, stdout, stderr)
	case "generate":
		return cmdGenerate(ctx, args[1:], env, stdout, stderr)
	case "backfill":
		return cmdBackfill(ctx, args[1:], env, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, args[1:], env, stdout, stderr)
	case "ls", "show", "gc", "files", "migrate":
		return cmdOutput(ctx, args[0], args[1:], env, stdout)
	case "table":
		return cmdTable(ctx, args[1:], env, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return &job.ConfigError{Env: "command", Err: fmt.Errorf("unknown command %q", args[0])}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runMode is the metrics' mode label of a run: one shard of a sharded run
// ("shard"), which commits nothing, or a run or merge that commits the day
// ("daily", what the alert on the last success watches).
func runMode(cmd string, cfg *job.Config) string {
	if cmd != "merge" && (cfg.Shard != "" || cfg.Shards > 0) {
		return "shard"
	}
	return "daily"
}

func cmdRun(ctx context.Context, cmd string, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg job.Config
	if err := parseConfig(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	if err := checkMemory(&cfg, 1); err != nil {
		return err
	}
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return &job.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	log := newLogger(stderr, level, isTerminal(stderr))
	opts := job.Options{Logger: log, Stdin: stdin, Version: versionString(), Retries: new(atomic.Int64)}
	var bar *barProgress
	if isTerminal(stderr) && !cfg.Quiet {
		bar = newBarProgress(stderr)
		opts.Progress = bar
	}
	start := time.Now()
	run := job.Run
	if cmd == "merge" {
		run = job.Merge
	}
	sum, err := run(ctx, cfg, opts)
	if bar != nil {
		bar.Finish()
	}
	if cfg.PushgatewayURL != "" {
		m := runMetrics{Mode: runMode(cmd, &cfg), Success: err == nil, Start: start, End: time.Now(), Version: version, Commit: commitString()}
		m.Add(sum)
		m.Retries = opts.Retries.Load()
		pushMetrics(ctx, cfg.PushgatewayURL, m, log)
	}
	if sum != nil && cfg.JSON {
		if jerr := json.NewEncoder(stdout).Encode(sum); err == nil {
			err = jerr
		}
	}
	if err != nil {
		return err
	}
	log.Info("run done", "run_id", sum.RunID, "date", sum.Date, "objects", sum.Objects, "bytes_read", sum.BytesRead, "lines", sum.Lines,
		"bad_lines", sum.BadLines, "windows", sum.Windows, "rows", sum.Rows, "files", len(sum.Files),
		"seconds", sum.DurationSec)
	if !cfg.JSON {
		printSummary(stdout, sum)
	}
	return nil
}

// skippedNote renders the objects a listing skipped, by reason, or "".
func skippedNote(skipped map[string]int64) string {
	if len(skipped) == 0 {
		return ""
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(skipped)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, skipped[r]))
	}
	return " (skipped, not read: " + strings.Join(parts, ", ") + ")"
}

func printSummary(w io.Writer, s *job.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "run\t%s\n", s.RunID)
	fmt.Fprintf(tw, "input\t%s\n", s.Input)
	fmt.Fprintf(tw, "output\t%s\n", s.Output)
	fmt.Fprintf(tw, "objects\t%d%s\n", s.Objects, skippedNote(s.Skipped))
	fmt.Fprintf(tw, "bytes read\t%d (%d decompressed)\n", s.BytesRead, s.BytesDecoded)
	fmt.Fprintf(tw, "lines\t%d (%d blank ignored)\n", s.Lines, s.BlankLines)
	fmt.Fprintf(tw, "bad lines\t%d\n", s.BadLines)
	reasons := make([]string, 0, len(s.BadByReason))
	for r := range s.BadByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  %s\t%d\n", r, s.BadByReason[r])
	}
	if s.OutOfRange > 0 {
		fmt.Fprintf(tw, "out of range\t%d (events outside %s, not written)\n", s.OutOfRange, s.Date)
	}
	for _, n := range s.Neighbours {
		note := ""
		if n.NotListed != nil {
			note = fmt.Sprintf(" (%d in objects its run does not list)", *n.NotListed)
		}
		fmt.Fprintf(tw, "  of %s\t%d%s\n", n.Date, n.Events, note)
	}
	if u := s.UnknownLevels; u != nil {
		vals := make([]string, 0, len(u.Values))
		for _, v := range u.Values {
			vals = append(vals, fmt.Sprintf("%q %d", v.Value, v.Count))
		}
		if !u.AllValues {
			vals = append(vals, "…")
		}
		fmt.Fprintf(tw, "unknown levels\t%d in %q (counted as non-errors): %s\n", u.Events, u.Field, strings.Join(vals, ", "))
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(tw, "warning\t%s\n", w)
	}
	fmt.Fprintf(tw, "windows\t%d\n", s.Windows)
	fmt.Fprintf(tw, "rows\t%d\n", s.Rows)
	for _, p := range s.Partitions {
		if p.SnapshotID != 0 {
			fmt.Fprintf(tw, "partition %s %s\t%s (%d rows), snapshot %d\n", p.Window, p.Date, p.Status, p.Rows, p.SnapshotID)
			continue
		}
		fmt.Fprintf(tw, "partition %s %s\t%s (%d rows)\n", p.Window, p.Date, p.Status, p.Rows)
	}
	if len(s.Files) > 0 || len(s.Partitions) == 0 || s.Partitions[0].SnapshotID == 0 {
		fmt.Fprintf(tw, "files\t%d\n", len(s.Files))
	}
	for _, f := range s.Files {
		fmt.Fprintf(tw, "  %s\t\n", f)
	}
	fmt.Fprintf(tw, "duration\t%s\n", s.Duration.Round(time.Millisecond))
	fmt.Fprintf(tw, "throughput\t%.1f MB/s (decompressed)\n", s.MBPerSec)
	tw.Flush()
}

func cmdGenerate(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg job.GenerateConfig
	if err := parseConfig(&cfg, "generate", args, env, stdout); err != nil {
		return err
	}
	sum, err := job.Generate(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d objects, %d lines, %d bytes uncompressed to %s\n", sum.Objects, sum.Lines, sum.Bytes, sum.Output)
	return nil
}

// errHelp is returned after --help printed the settings; it exits 0.
var errHelp = flag.ErrHelp

// parseConfig fills cfg from env, then from flags, and refuses values with
// stray whitespace; the command validates the rest, so a bad setting is
// reported before any I/O. Every error names the setting.
//
// A shape's preset fills the settings neither the environment nor a flag
// gives, so a --shape flag is found first: the flags are parsed once to
// read it, then everything again with the environment that names it.
func parseConfig(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	shape, set, err := parseFlags(cfg, cmd, args, env, stdout)
	if err != nil || !set || shape == env[job.EnvPrefix+"SHAPE"] {
		return err
	}
	env = maps.Clone(env)
	if env == nil {
		env = map[string]string{}
	}
	env[job.EnvPrefix+"SHAPE"] = shape
	reflect.ValueOf(cfg).Elem().SetZero()
	_, _, err = parseFlags(cfg, cmd, args, env, stdout)
	return err
}

// parseFlags is one pass of parseConfig; it returns the --shape flag's
// value and whether it was given.
func parseFlags(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) (shape string, shapeSet bool, err error) {
	if err := job.ParseEnv(cfg, env); err != nil {
		return "", false, err
	}
	fs := flag.NewFlagSet("logsmith "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settings := job.Settings(cfg)
	var badValue error
	for _, s := range settings {
		if s.Flag != "" {
			fs.Var(&flagValue{v: s.Value, setting: s, bad: &badValue}, s.Flag, s.Desc)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, cmd, settings)
			return "", false, errHelp
		}
		if badValue != nil {
			return "", false, badValue
		}
		return "", false, &job.ConfigError{Env: "flags", Err: err}
	}
	if fs.NArg() > 0 {
		return "", false, &job.ConfigError{Env: "flags", Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := job.CheckWhitespace(cfg); err != nil {
		return "", false, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "shape" {
			shape, shapeSet = f.Value.String(), true
		}
	})
	return shape, shapeSet, nil
}

func printHelp(w io.Writer, cmd string, settings []job.Setting) {
	fmt.Fprintf(w, "Usage: logsmith %s [flags]\n\nEvery setting comes from its environment variable; a flag overrides it.\n\n", cmd)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tENV\tDEFAULT\tMEANING")
	for _, s := range settings {
		f := "-"
		if s.Flag != "" {
			f = "--" + s.Flag
		}
		def := s.FormatValue()
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f, s.Env, def, s.Desc)
	}
	tw.Flush()
	if slices.ContainsFunc(settings, func(s job.Setting) bool { return s.Flag == "shape" }) {
		fmt.Fprintf(w, "\nShapes (--shape NAME stands for these settings; any setting given overrides them):\n\n")
		for _, p := range job.Shapes {
			fmt.Fprintf(w, "  %s: %s\n      %s\n", p.Name, p.Producer, p.Flags())
		}
	}
}

// flagValue sets a config field from a flag. A list flag given several
// times accumulates; its first use replaces the env or default value.
// Any other flag given twice is refused. A
// value that does not parse is recorded in *bad as a *job.ConfigError
// naming the setting by its environment variable and flag.
type flagValue struct {
	v       reflect.Value
	set     bool
	setting job.Setting
	bad     *error
}

func (f *flagValue) String() string {
	if f.v.IsValid() {
		return fmt.Sprint(f.v.Interface())
	}
	return ""
}

func (f *flagValue) IsBoolFlag() bool { return f.v.IsValid() && f.v.Kind() == reflect.Bool }

func (f *flagValue) Set(s string) error {
	err := f.parse(s)
	if err != nil && f.bad != nil && *f.bad == nil {
		*f.bad = &job.ConfigError{Env: f.setting.Env, Flag: f.setting.Flag, Err: fmt.Errorf("%q: %v", s, err)}
	}
	return err
}

func (f *flagValue) parse(s string) error {
	if _, list := f.v.Addr().Interface().(*[]string); !list {
		// One of two values of a setting would be ignored without a
		// word: refused, as a repeated list flag is not.
		if f.set {
			return errors.New("given twice: give a setting once (a list setting may be repeated to add to it)")
		}
		f.set = true
	}
	if u, ok := f.v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		return u.UnmarshalText([]byte(s))
	}
	switch p := f.v.Addr().Interface().(type) {
	case *time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*p = d
		return nil
	case *[]string:
		if !f.set {
			*p = nil
		}
		f.set = true
		*p = append(*p, job.SplitList(s)...)
		return nil
	}
	switch f.v.Kind() {
	case reflect.String:
		f.v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return err
		}
		f.v.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return err
		}
		f.v.SetUint(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		f.v.SetFloat(n)
	default:
		return fmt.Errorf("unsupported setting type %s", f.v.Type())
	}
	return nil
}

func cmdBackfill(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg job.BackfillConfig
	if err := parseConfig(&cfg, "backfill", args, env, stdout); err != nil {
		return err
	}
	if err := checkMemory(&cfg.Config, cfg.Parallel); err != nil {
		return err
	}
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return &job.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	log := newLogger(stderr, level, isTerminal(stderr))
	var bar *dateProgress
	if isTerminal(stderr) && !cfg.Quiet {
		from, _ := time.Parse(time.DateOnly, cfg.From)
		to, _ := time.Parse(time.DateOnly, cfg.To)
		bar = newDateProgress(stderr, int(to.Sub(from).Hours()/24)+1)
	}
	retries := new(atomic.Int64)
	m := runMetrics{Mode: "backfill", Start: time.Now(), Version: version, Commit: commitString()}
	var mu sync.Mutex
	results, err := job.Backfill(ctx, cfg, job.Options{Logger: log, Version: versionString(), Retries: retries}, func(r job.DateResult) {
		log.Info("date done", "date", r.Date, "status", r.Status, "rows", r.Rows, "error", r.Error)
		mu.Lock()
		m.Add(r.Summary)
		mu.Unlock()
		if bar != nil {
			bar.done(r.Date, r.Status, r.Error)
		}
	})
	if cfg.PushgatewayURL != "" {
		m.Success, m.End, m.Retries = err == nil, time.Now(), retries.Load()
		pushMetrics(ctx, cfg.PushgatewayURL, m, log)
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
