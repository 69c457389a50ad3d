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
	"github.com/logsmith/logsmith/job/settings"
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
  logsmith peek     --input URL [--lines N] [flags]              show the input's first events as a run decodes them
  logsmith run      --input URL --output URL [--date D] [flags]   compute and commit features
  logsmith run      --shard i/n --run ID --date D [flags]        compute one shard's partial
  logsmith merge    --input URL --run ID --date D --output URL [flags]
                                                                 merge the shards and commit
  logsmith plan     --input URL --output URL --date D [--plan-budget 1h] [--plan-file F]
                                                                 size a sharded run: the shard count, as text or JSON
  logsmith backfill --input TEMPLATE --output URL --from D --to D [--parallel N] [--force]
  logsmith ls       --output URL                                 list committed partitions
  logsmith show     --output URL --date D                        print a partition's manifest
  logsmith show     --output URL --date D --chart|--hours        draw (or print) its events, error rate and p99 per hour
  logsmith report   --output URL --date D|--from D --to D > F    write an HTML page of what was committed
  logsmith files    --output URL [--from D] [--to D] [--window W] [--format F]
                                                                 print the committed data objects' URLs
  logsmith pin      --output URL --table-format iceberg          print the snapshot id holding every date
  logsmith gc       --output URL [--gc-grace 1h]                 delete files no commit needs
  logsmith migrate  --output URL [--date D]                      rewrite version 1 partitions (run=ID folders)
  logsmith table show --output URL                               print the output's tables and their shape
  logsmith table drop --output URL --window W                    remove a table, so the output may take another shape
  logsmith generate --output URL [flags]                         write synthetic logs
  logsmith config   [COMMAND] [flags]                            print the settings in force and their origin
  logsmith completion bash|zsh|fish                              print a shell completion script
  logsmith --version

Settings come from flags, LOGSMITH_* variables or a YAML file (--config FILE).
run, merge, backfill and gc take --dry-run: report what they would do, write nothing.
Run "logsmith help <command>" for its settings by purpose, defaults and examples.
`

// run is the whole program behind main, with its environment passed in.
func run(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, env, stdin, stdout, stderr)
	if len(args) > 0 {
		err = blameLater(err, args[1:], env)
	}
	return err
}

// blameLater names the config file and key of a bad setting that a
// command's validation reports, after parsing, when its value came from
// the file: the setting is neither in the environment nor a flag.
func blameLater(err error, args []string, env map[string]string) error {
	var ce *settings.ConfigError
	if err == nil || !errors.As(err, &ce) || ce.File != "" || !strings.HasPrefix(ce.Env, settings.EnvPrefix) {
		return err
	}
	if _, ok := env[ce.Env]; ok {
		return err
	}
	path := env[settings.EnvPrefix+"CONFIG"]
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue // a flag's value
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == ce.Flag:
			return err // given as a flag
		case name == "config" && hasVal:
			path = val
		case name == "config" && i+1 < len(args):
			path = args[i+1]
			i++
		}
	}
	if path == "" {
		return err
	}
	f, ferr := settings.ReadConfigFile(path)
	if ferr != nil {
		return err
	}
	return f.Blame(err)
}

func dispatch(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &settings.ConfigError{Env: "command", Err: errors.New("missing command")}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionString())
		fmt.Fprintln(stdout, "gzip inflater:", features.Inflater())
		return nil
	case "-h", "--help", "help":
		if len(args) > 1 && configOf(args[1]) != nil || len(args) > 1 && args[1] == "config" {
			// logsmith help run is logsmith run --help.
			return dispatch(ctx, []string{args[1], "--help"}, env, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] != "" {
			fmt.Fprint(stderr, usage)
			return &settings.ConfigError{Env: "command", Err: fmt.Errorf("help: unknown command %q", args[1])}
		}
		fmt.Fprint(stdout, usage)
		return nil
	case "completion":
		return cmdCompletion(args[1:], stdout)
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
		return cmdConfig(args[1:], env, stdout)
	case "table":
		return cmdTable(ctx, args[1:], env, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return &settings.ConfigError{Env: "command", Err: fmt.Errorf("unknown command %q", args[0])}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

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
	if err := parseConfig(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	// On a terminal, the progress display and the log share stderr: each
	// record starts a line of its own, never after the display's text.
	terminal, logTo := isTerminal(stderr), stderr
	var tl *termLines
	if terminal && !cfg.Quiet {
		tl = newTermLines(stderr)
		defer tl.EndLine()
		logTo = tl
	}
	log := newLogger(logTo, level, terminal)
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
	var bar *barProgress
	if tl != nil {
		bar = newBarProgress(tl.Display())
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
		m := runMetrics{Mode: runMode(cmd, &cfg), Success: err == nil, Start: start, End: time.Now(), Version: readBuild().version, Commit: commitString()}
		m.Add(sum)
		m.Retries = opts.Retries.Load()
		pushMetrics(ctx, cfg.PushgatewayURL, m, log)
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
		printSummary(stdout, sum)
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
	if len(s.DryRun) > 0 {
		fmt.Fprintf(tw, "dry run\tnothing written\n")
	}
	for _, p := range s.DryRun {
		if p.Replaces == "" {
			fmt.Fprintf(tw, "partition %s %s\twould commit (%d rows, %d events; none committed)\n", p.Window, p.Date, p.Rows, p.Events)
			continue
		}
		fmt.Fprintf(tw, "partition %s %s\twould replace run %s (%d rows, %d events; committed: %d events)\n",
			p.Window, p.Date, p.Replaces, p.Rows, p.Events, p.ReplacesEvents)
	}
	for _, p := range s.Partitions {
		if len(s.DryRun) > 0 {
			break
		}
		if p.SnapshotID != 0 {
			fmt.Fprintf(tw, "partition %s %s\t%s (%d rows), snapshot %d\n", p.Window, p.Date, p.Status, p.Rows, p.SnapshotID)
			continue
		}
		fmt.Fprintf(tw, "partition %s %s\t%s (%d rows)\n", p.Window, p.Date, p.Status, p.Rows)
	}
	for _, f := range s.FailedDates {
		fmt.Fprintf(tw, "date %s\t%s, not committed: %s\n", f.Date, f.Status, f.Error)
	}
	if len(s.Files) > 0 || len(s.Partitions) == 0 || s.Partitions[0].SnapshotID == 0 {
		fmt.Fprintf(tw, "files\t%d\n", len(s.Files))
	}
	for _, f := range s.FileURLs {
		fmt.Fprintf(tw, "  %s\t\n", f)
	}
	for _, d := range s.DroppedFormats {
		fmt.Fprintf(tw, "dropped format\t%s of %s %s: %s deleted (add %s to --format to keep it)\n", d.Format, d.Window, d.Date, d.URL, d.Format)
	}
	if len(s.Removed) > 0 {
		fmt.Fprintf(tw, "removed\t%d files no commit needs\n", len(s.Removed))
	}
	for _, u := range s.RemovedURLs {
		fmt.Fprintf(tw, "  %s\t\n", u)
	}
	fmt.Fprintf(tw, "duration\t%s\n", s.Duration.Round(time.Millisecond))
	readRate := 0.0
	if sec := s.Duration.Seconds(); sec > 0 {
		readRate = float64(s.BytesRead) / 1e6 / sec
	}
	fmt.Fprintf(tw, "throughput\t%.1f MB/s read from storage, %.1f MB/s decoded\n", readRate, s.MBPerSec)
	tw.Flush()
}

func cmdGenerate(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg settings.GenerateConfig
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

// parseConfig fills cfg from its layers, the first that sets a setting
// winning: flags, the environment, the config file (--config or
// LOGSMITH_CONFIG), the shape's preset (--shape), the default. It refuses
// values with stray whitespace; the command validates the rest, so a bad
// setting is reported before any I/O. Every error names the setting.
func parseConfig(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	_, err := parseLayers(cfg, cmd, args, env, stdout)
	return err
}

// Origin says which layer a setting's value came from.
type origin struct {
	Layer  string `json:"from"`             // flag, environment, file, shape or default
	Detail string `json:"detail,omitempty"` // the flag, variable, file and key, or shape
}

// parseLayers is parseConfig, returning the origin of every setting's
// value by environment variable.
//
// The file and a shape fill the settings that neither the environment nor
// a flag gives, so --config and --shape are found first: the flags are
// parsed once to read them, then everything again with the environment
// the file and shape fill in.
func parseLayers(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) (map[string]origin, error) {
	given, err := parseFlags(cfg, cmd, args, env, stdout)
	if err != nil {
		return nil, err
	}
	layered := env
	path, fromFlag := given["config"]
	if !fromFlag {
		path = env[settings.EnvPrefix+"CONFIG"]
	}
	var file *settings.ConfigFile
	if path != "" {
		if file, err = settings.ReadConfigFile(path); err != nil {
			return nil, err
		}
		layered = file.Under(env)
	}
	shape, shapeSet := given["shape"]
	if shapeSet && shape != layered[settings.EnvPrefix+"SHAPE"] {
		layered = maps.Clone(layered)
		if layered == nil {
			layered = map[string]string{}
		}
		layered[settings.EnvPrefix+"SHAPE"] = shape
	}
	if file != nil || shapeSet {
		reflect.ValueOf(cfg).Elem().SetZero()
		if _, err = parseFlags(cfg, cmd, args, layered, stdout); err != nil {
			return nil, file.Blame(err)
		}
	}
	origins := map[string]origin{}
	preset := settings.ShapeNamed(layered[settings.EnvPrefix+"SHAPE"])
	for _, s := range settings.Settings(cfg) {
		o := origin{Layer: "default"}
		if _, ok := given[s.Flag]; ok && s.Flag != "" {
			o = origin{"flag", "--" + s.Flag}
		} else if _, ok := env[s.Env]; ok {
			o = origin{"environment", s.Env}
		} else if key, ok := file.KeyOf(s.Env); ok {
			o = origin{"file", file.Path + ": " + key}
		} else if preset != nil && slices.ContainsFunc(preset.Settings, func(kv [2]string) bool { return settings.EnvPrefix+kv[0] == s.Env }) {
			o = origin{"shape", preset.Name}
		}
		origins[s.Env] = o
	}
	return origins, nil
}

// parseFlags is one pass of parseLayers: the environment, then the
// flags. It returns the flags given, by name, with their last values.
func parseFlags(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) (map[string]string, error) {
	if err := settings.ParseEnv(cfg, env); err != nil {
		return nil, err
	}
	fs := flag.NewFlagSet("logsmith "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	known := settings.Settings(cfg)
	var badValue error
	for _, s := range known {
		if s.Flag != "" {
			fs.Var(&flagValue{v: s.Value, setting: s, bad: &badValue}, s.Flag, s.Desc)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, cmd, cfg, known, env)
			return nil, errHelp
		}
		if badValue != nil {
			return nil, badValue
		}
		return nil, &settings.ConfigError{Env: "flags", Err: err}
	}
	if fs.NArg() > 0 {
		return nil, &settings.ConfigError{Env: "flags", Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := settings.CheckWhitespace(cfg); err != nil {
		return nil, err
	}
	given := map[string]string{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	return given, nil
}

// flagValue sets a config field from a flag. A list flag given several
// times accumulates; its first use replaces the env or default value.
// Any other flag given twice is refused. A
// value that does not parse is recorded in *bad as a *settings.ConfigError
// naming the setting by its environment variable and flag.
type flagValue struct {
	v       reflect.Value
	set     bool
	setting settings.Setting
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
		*f.bad = &settings.ConfigError{Env: f.setting.Env, Flag: f.setting.Flag, Err: fmt.Errorf("%q: %v", s, err)}
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
		d, err := settings.ParseDuration(s)
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
		*p = append(*p, settings.SplitList(s)...)
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
	var cfg settings.BackfillConfig
	origins, err := parseLayers(&cfg, "backfill", args, env, stdout)
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
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	terminal, logTo := isTerminal(stderr), stderr
	var tl *termLines
	if terminal && !cfg.Quiet {
		tl = newTermLines(stderr)
		defer tl.EndLine()
		logTo = tl
	}
	log := newLogger(logTo, level, terminal)
	var bar *dateProgress
	if tl != nil {
		bar = newDateProgress(tl.Display(), len(dates))
	}
	retries := new(atomic.Int64)
	m := runMetrics{Mode: "backfill", Start: time.Now(), Version: readBuild().version, Commit: commitString()}
	var mu sync.Mutex
	results, err := job.Backfill(ctx, cfg, job.Options{Logger: log, Version: versionString(), Retries: retries, Memory: guard}, func(r job.DateResult) {
		log.Info("date done", "date", r.Date, "status", r.Status, "rows", r.Rows, "error", r.Error)
		mu.Lock()
		m.Add(r.Summary)
		mu.Unlock()
		if bar != nil {
			bar.done(r.Date, r.Status, r.Error)
		}
	})
	if tl != nil {
		tl.EndLine() // what follows, on stdout too, starts a line
	}
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
