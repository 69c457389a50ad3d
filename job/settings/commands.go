package settings

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// PlanConfig configures logsmith plan: the run's settings, which it
// validates in full (a bad setting fails the plan, before any pod of the
// map starts), and how to size the map.
type PlanConfig struct {
	Config
	Budget     time.Duration `env:"PLAN_BUDGET" envDefault:"1h" flag:"plan-budget" desc:"time the map may take: the shard count is chosen so that the slowest shard reads its share in this time at --plan-throughput"`
	Throughput int64         `env:"PLAN_THROUGHPUT" envDefault:"309000000" flag:"plan-throughput" desc:"uncompressed input bytes per second one map pod reads; default from docs/benchmarks.md, '| run-minio-gzip-w2 | 309 | 5.85 | 38 |': gzip from MinIO, 2 workers on 2 cores (plain reads faster there: 454 MB/s)"`
	MaxShards  int           `env:"PLAN_MAX_SHARDS" envDefault:"64" flag:"plan-max-shards" desc:"most shards planned, however large the input"`
	File       string        `env:"PLAN_FILE" flag:"plan-file" desc:"also write the plan as JSON to this file (for Argo's outputs.parameters valueFrom.path)"`
}

// Validate checks the run settings and the plan's, naming the first bad
// one.
func (c *PlanConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.Input == "-" {
		return bad("Input", "standard input cannot be planned: it is read once, by one run")
	}
	if c.Date == "" && c.From == "" && !IsTemplate(c.Input) {
		return bad("Date", "plan needs --date or a templated --input: a sharded run computes one date")
	}
	if c.Budget < time.Second || c.Budget > 7*24*time.Hour {
		return bad("Budget", "%v: want 1s to 168h", c.Budget)
	}
	if c.Throughput < 1 {
		return bad("Throughput", "%d: want a positive number of bytes per second", c.Throughput)
	}
	if c.MaxShards < 1 || c.MaxShards > 10000 {
		return bad("MaxShards", "%d: want 1 to 10000 (the most --shard allows)", c.MaxShards)
	}
	return nil
}

// PeekConfig is the config of peek: a run's settings, of which it reads
// the input and decoding ones, and how much to show and sample.
type PeekConfig struct {
	Config
	Lines  int `env:"PEEK_LINES" envDefault:"20" flag:"lines" desc:"peek: events shown as parsed"`
	Sample int `env:"PEEK_SAMPLE" envDefault:"1000" flag:"sample" desc:"peek: records read for the fields' hit rates and the shape (at most 8 MiB of the first objects listed)"`
}

// PeekOutput stands in for the output peek never opens, so that a run's
// validation, which needs one, passes.
const PeekOutput = "s3://logsmith-peek-opens-no-output/"

// Resolve validates the settings peek reads and parses them once.
func (c *PeekConfig) Resolve(now time.Time) (*Resolved, error) {
	if c.Lines < 0 {
		return nil, SettingError(c, "Lines", fmt.Errorf("%d: want 0 or more", c.Lines))
	}
	if c.Sample < 1 {
		return nil, SettingError(c, "Sample", fmt.Errorf("%d: want 1 or more", c.Sample))
	}
	run := c.Config
	if run.Output == "" {
		run.Output = PeekOutput
	}
	return run.Resolve(now)
}

// BackfillConfig configures a backfill: the run settings, applied to every
// date from Config.From to To inclusive.
type BackfillConfig struct {
	Config
	To       string `env:"TO" flag:"to" desc:"last date of the backfill (YYYY-MM-DD), inclusive"`
	Parallel int    `env:"PARALLEL" envDefault:"1" flag:"parallel" desc:"dates computed at once (each with --workers workers)"`
	Force    bool   `env:"FORCE" flag:"force" desc:"recompute dates already committed from the same inputs and config"`
}

// Validate checks the backfill's settings and names the first bad one.
func (c *BackfillConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	if _, err := c.Dates(); err != nil {
		return err
	}
	if !IsTemplate(c.Input) {
		return bad("Input", "%q: a backfill needs a templated input such as s3://logs/app/{yyyy}/{mm}/{dd}/", c.Input)
	}
	if c.Date != "" {
		return bad("Date", "not used by backfill; use --from and --to")
	}
	if c.Parallel < 1 || c.Parallel > 64 {
		return bad("Parallel", "%d: want 1 to 64", c.Parallel)
	}
	if c.Report != "" {
		return bad("Report", "applies to run and merge; for a backfill's dates: logsmith report --from --to")
	}
	rc := c.DateConfig(c.From)
	return rc.Validate()
}

// Dates returns the dates a backfill computes, --from to --to inclusive;
// the error names the bad setting.
func (c *BackfillConfig) Dates() ([]string, error) {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	from, err := time.Parse(time.DateOnly, c.From)
	if err != nil {
		return nil, bad("From", "%q: want YYYY-MM-DD", c.From)
	}
	to, err := time.Parse(time.DateOnly, c.To)
	if err != nil {
		return nil, bad("To", "%q: want YYYY-MM-DD", c.To)
	}
	if to.Before(from) {
		return nil, bad("To", "%s is before --from %s", c.To, c.From)
	}
	if to.Sub(from) > 3660*24*time.Hour {
		return nil, bad("To", "more than 3660 days after --from")
	}
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	return dates, nil
}

// DateConfig returns the config of the run of one date of the backfill.
func (c *BackfillConfig) DateConfig(date string) Config {
	rc := c.Config
	rc.From, rc.Date, rc.CompletionIndex = "", date, -1
	rc.SkipCommitted = !c.Force
	rc.RunID = ""
	return rc
}

// GenerateConfig configures synthetic log generation.
type GenerateConfig struct {
	Output   string     `env:"OUTPUT" flag:"output" desc:"where to write the logs: s3://bucket/prefix, file:///dir or a path"`
	Objects  int        `env:"OBJECTS" envDefault:"8" flag:"objects" desc:"objects per day"`
	Lines    int        `env:"LINES" envDefault:"10000" flag:"lines" desc:"lines per object"`
	Seed     uint64     `env:"SEED" envDefault:"1" flag:"seed" desc:"random seed; the same seed gives the same bytes"`
	Gzip     bool       `env:"GZIP" flag:"gzip" desc:"gzip-compress objects (.jsonl.gz)"`
	Zstd     bool       `env:"ZSTD" flag:"zstd" desc:"zstd-compress objects (.jsonl.zst)"`
	Start    time.Time  `env:"START" envDefault:"2025-11-08T00:00:00Z" flag:"start" desc:"first day (RFC 3339; the UTC date is used)"`
	Days     int        `env:"DAYS" envDefault:"1" flag:"days" desc:"number of days"`
	BadRatio float64    `env:"BAD_RATIO" envDefault:"0.001" flag:"bad-ratio" desc:"share of malformed lines"`
	Workers  int        `env:"WORKERS" flag:"workers" desc:"objects written at once; 0 means the number of CPUs"`
	S3       S3Settings `envPrefix:"S3_" group:"storage"`

	FileSettings `group:"command"`
}

// Validate checks every setting and names the first bad one.
func (c *GenerateConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	if err := checkWritableOutput(c.Output); err != nil {
		return SettingError(c, "Output", err)
	}
	if c.Objects < 1 || c.Objects > 100000 {
		return bad("Objects", "%d: want 1 to 100000", c.Objects)
	}
	if c.Lines < 1 {
		return bad("Lines", "%d: want at least 1", c.Lines)
	}
	if c.Days < 1 || c.Days > 3660 {
		return bad("Days", "%d: want 1 to 3660", c.Days)
	}
	if c.Gzip && c.Zstd {
		return bad("Zstd", "--gzip and --zstd exclude each other")
	}
	if c.BadRatio < 0 || c.BadRatio > 1 || math.IsNaN(c.BadRatio) {
		return bad("BadRatio", "%v: want 0 to 1", c.BadRatio)
	}
	if c.Workers < 0 {
		return bad("Workers", "%d: want 0 or more", c.Workers)
	}
	return nil
}

// OutputConfig configures the commands that read or tidy an output: ls,
// show, files, gc and report.
type OutputConfig struct {
	Output           string        `env:"OUTPUT" flag:"output" desc:"output URL: s3://bucket/prefix, file:///dir or a local path"`
	Date             string        `env:"DATE" flag:"date" desc:"the partition's date (YYYY-MM-DD); for gc, limits it to one date"`
	From             string        `env:"FROM" flag:"from" desc:"files, report: first date (YYYY-MM-DD), inclusive"`
	To               string        `env:"TO" flag:"to" desc:"files, report: last date (YYYY-MM-DD), inclusive"`
	Window           string        `env:"WINDOW" flag:"window" desc:"files, pin, report: only this table (window name such as 5m or 15m-every-5m; pin also takes the Iceberg name features_15m_5m), default every table; show --chart/--hours: the table drawn, default the tumbling one of the longest windows of an hour or less; table drop: the table to drop"`
	Format           string        `env:"FORMAT" envDefault:"parquet" flag:"format" desc:"files: parquet or csv"`
	GCGrace          time.Duration `env:"GC_GRACE" envDefault:"1h" flag:"gc-grace" desc:"gc: how long files no commit lists (abandoned partials, dropped formats, old-layout runs) are kept"`
	RejectsRetention time.Duration `env:"REJECTS_RETENTION" envDefault:"720h" flag:"rejects-retention" desc:"gc: how long samples of bad lines are kept; 0 keeps them"`
	Wait             time.Duration `env:"WAIT" envDefault:"1m" flag:"wait" desc:"files, show: how long to wait for a partition another run is publishing"`
	JSON             bool          `env:"JSON" flag:"json" desc:"print JSON"`
	DryRun           bool          `env:"DRY_RUN" flag:"dry-run" desc:"gc: list what would be deleted, deleting nothing"`
	Chart            bool          `env:"CHART" flag:"chart" desc:"show: draw the date's events, error rate and p99 latency per UTC hour and its bad lines by reason, from the committed rows, as text charts"`
	Hours            bool          `env:"HOURS" flag:"hours" desc:"show: print the numbers --chart draws as a table (with --json, as JSON)"`

	IcebergSettings `group:"iceberg"`
	S3              S3Settings `envPrefix:"S3_" group:"storage"`

	FileSettings `group:"command"`
}

// checkWritableOutput says what is wrong with an output URL that a command
// writes to, or returns nil.
func checkWritableOutput(output string) error {
	if output == "" {
		return errors.New("required")
	}
	if loc, err := ParseLocation(output); err != nil || loc.Scheme == "-" {
		return fmt.Errorf("%q: want s3://bucket/prefix, file:///dir or a path", output)
	}
	return checkURLShape(output)
}

// Validate checks the settings and names the first bad one.
func (c *OutputConfig) Validate(needDate bool) error {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	if err := checkWritableOutput(c.Output); err != nil {
		return SettingError(c, "Output", err)
	}
	if c.Date == "" && needDate {
		return bad("Date", "required")
	}
	if c.Date != "" {
		if _, err := time.Parse(time.DateOnly, c.Date); err != nil {
			return bad("Date", "%q: want YYYY-MM-DD", c.Date)
		}
	}
	for _, f := range []struct{ field, v string }{{"From", c.From}, {"To", c.To}} {
		if f.v != "" && !table.ValidDate(f.v) {
			return bad(f.field, "%q: want YYYY-MM-DD", f.v)
		}
	}
	if c.Window != "" {
		// Tables are told apart by their names: another spelling of a
		// window ("900s", "15m/5m") would match no table, and a command
		// would list nothing rather than refuse.
		if _, err := features.ParseWindowName(c.Window); err != nil {
			if !c.Iceberg() || !isIcebergTableName(c.Window) {
				return bad("Window", "%v (a table's name, as logsmith table show or ls prints it)", err)
			}
		}
	}
	if !slices.Contains(table.Formats, c.Format) {
		return bad("Format", "%q: want parquet or csv", c.Format)
	}
	if c.GCGrace < 0 {
		return bad("GCGrace", "%v: must not be negative", c.GCGrace)
	}
	if c.RejectsRetention < 0 {
		return bad("RejectsRetention", "%v: must not be negative", c.RejectsRetention)
	}
	if c.Wait < 0 {
		return bad("Wait", "%v: must not be negative", c.Wait)
	}
	if field, err := c.IcebergSettings.check(c.Output, nil); err != nil {
		return bad(field, "%v", err)
	}
	if err := c.checkPictures(); err != nil {
		return err
	}
	if c.DryRun && c.Iceberg() {
		return bad("DryRun", "gc --dry-run is not yet with --table-format iceberg (run and backfill take it)")
	}
	return nil
}

// runConfig gives ParseEnv the run settings a plan embeds.
func (c *PlanConfig) runConfig() *Config { return &c.Config }
