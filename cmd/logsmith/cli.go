package main

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

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
	var ce *job.ConfigError
	if err == nil || !errors.As(err, &ce) || ce.File != "" || !strings.HasPrefix(ce.Env, job.EnvPrefix) {
		return err
	}
	if _, ok := env[ce.Env]; ok {
		return err
	}
	path := env[job.EnvPrefix+"CONFIG"]
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
	f, ferr := job.ReadConfigFile(path)
	if ferr != nil {
		return err
	}
	return blameFile(err, f)
}

func dispatch(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
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
		if len(args) > 1 && configOf(args[1]) != nil || len(args) > 1 && args[1] == "config" {
			// logsmith help run is logsmith run --help.
			return dispatch(ctx, []string{args[1], "--help"}, env, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] != "" {
			fmt.Fprint(stderr, usage)
			return &job.ConfigError{Env: "command", Err: fmt.Errorf("help: unknown command %q", args[1])}
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
	if err := parseConfig(&cfg, cmd, args, env, stdout); err != nil {
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
		path = env[job.EnvPrefix+"CONFIG"]
	}
	var file *job.ConfigFile
	if path != "" {
		if file, err = job.ReadConfigFile(path); err != nil {
			return nil, err
		}
		layered = file.Under(env)
	}
	shape, shapeSet := given["shape"]
	if shapeSet && shape != layered[job.EnvPrefix+"SHAPE"] {
		layered = maps.Clone(layered)
		if layered == nil {
			layered = map[string]string{}
		}
		layered[job.EnvPrefix+"SHAPE"] = shape
	}
	if file != nil || shapeSet {
		reflect.ValueOf(cfg).Elem().SetZero()
		if _, err = parseFlags(cfg, cmd, args, layered, stdout); err != nil {
			return nil, blameFile(err, file)
		}
	}
	origins := map[string]origin{}
	preset := presetOf(layered[job.EnvPrefix+"SHAPE"])
	for _, s := range job.Settings(cfg) {
		o := origin{Layer: "default"}
		if _, ok := given[s.Flag]; ok && s.Flag != "" {
			o = origin{"flag", "--" + s.Flag}
		} else if _, ok := env[s.Env]; ok {
			o = origin{"environment", s.Env}
		} else if key, ok := file.KeyOf(s.Env); ok {
			o = origin{"file", file.Path + ": " + key}
		} else if preset != nil && slices.ContainsFunc(preset.Settings, func(kv [2]string) bool { return job.EnvPrefix+kv[0] == s.Env }) {
			o = origin{"shape", preset.Name}
		}
		origins[s.Env] = o
	}
	return origins, nil
}

// presetOf returns the shape preset named name, or nil.
func presetOf(name string) *job.ShapePreset {
	for i := range job.Shapes {
		if job.Shapes[i].Name == name {
			return &job.Shapes[i]
		}
	}
	return nil
}

// blameFile names the config file and key of a bad setting whose value
// came from the file rather than the environment or a flag.
func blameFile(err error, file *job.ConfigFile) error {
	var ce *job.ConfigError
	if file == nil || !errors.As(err, &ce) || ce.File != "" {
		return err
	}
	if key, ok := file.KeyOf(ce.Env); ok {
		return &job.ConfigError{Env: ce.Env, Flag: ce.Flag, File: file.Path, Key: key, Err: ce.Err}
	}
	return err
}

// parseFlags is one pass of parseLayers: the environment, then the
// flags. It returns the flags given, by name, with their last values.
func parseFlags(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) (map[string]string, error) {
	if err := job.ParseEnv(cfg, env); err != nil {
		return nil, err
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
			printHelp(stdout, cmd, cfg, settings, env)
			return nil, errHelp
		}
		if badValue != nil {
			return nil, badValue
		}
		return nil, &job.ConfigError{Env: "flags", Err: err}
	}
	if fs.NArg() > 0 {
		return nil, &job.ConfigError{Env: "flags", Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if err := job.CheckWhitespace(cfg); err != nil {
		return nil, err
	}
	given := map[string]string{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })
	return given, nil
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
		d, err := job.ParseDuration(s)
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
