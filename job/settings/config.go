package settings

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/shard"
	"github.com/logsmith/logsmith/table"
)

// EnvPrefix prefixes every environment variable logsmith reads.
const EnvPrefix = "LOGSMITH_"

// S3Settings configure the S3-compatible store used by s3:// URLs.
type S3Settings struct {
	Endpoint  string `env:"ENDPOINT" flag:"s3-endpoint" desc:"S3 endpoint host[:port] or URL; empty means AWS S3"`
	Region    string `env:"REGION" flag:"s3-region" desc:"S3 region"`
	AccessKey string `env:"ACCESS_KEY" desc:"S3 access key; when empty, AWS env, AWS credentials file, then IAM/web identity" secret:"true"`
	SecretKey string `env:"SECRET_KEY" desc:"S3 secret key" secret:"true"`
	Insecure  bool   `env:"INSECURE" flag:"s3-insecure" desc:"talk plain http to the S3 endpoint"`
	CAFile    string `env:"CA_FILE" flag:"s3-ca-file" desc:"PEM file of extra CA certificates for the S3 endpoint"`
	// Timeout bounds waiting for a response's headers; set from
	// --idle-timeout by a run.
	Timeout time.Duration
}

// InputSettings say what is read. They shape the output: they are part of the config hash.
type InputSettings struct {
	Input     string `env:"INPUT" flag:"input" desc:"input URL: s3://bucket/prefix, file:///dir, a local path, or - for stdin; may hold {yyyy} {mm} {m} {dd} {d} {hh} {h} {date} (see docs/input.md, Templates)"`
	WidenDays int    `env:"WIDEN_DAYS" flag:"widen-days" desc:"also read the templated inputs of this many days before and after --date (for logs straddling midnight)"`
	// The settings below came after the config hash was pinned: each is
	// hashed only away from its default (see ConfigSnapshot).
	InputZone     string `env:"INPUT_ZONE" flag:"input-zone" desc:"IANA zone (e.g. America/New_York) the templated input's folders are named in; default UTC" hash:"unless-default"`
	InputLateness string `env:"INPUT_LATENESS" envDefault:"auto" flag:"input-lateness" desc:"how long after the end of its date an event may still arrive, i.e. be filed in a folder of the templated input: a duration (0 to 168h), or auto: 1h for an hourly template ({hh} or {h}), 0 for a daily one" hash:"unless-default"`
	ReadHidden    bool   `env:"READ_HIDDEN" flag:"read-hidden" desc:"also read the objects skipped by default: a name below the input prefix starting with _ or . (_SUCCESS, _temporary/, .DS_Store), and *.crc checksum files" hash:"unless-default"`
}

// autoLateness is the lateness of --input-lateness auto for an hourly
// template: Firehose delivers a buffer at most 900 s after its first
// record, Fluent Bit's S3 output uploads after upload_timeout (10 min by
// default), Vector's after its batch timeout (5 min): an hour covers each
// with room for a retried upload.
const autoLateness = time.Hour

// maxLateness bounds --input-lateness: a week, as --widen-days.
const maxLateness = 7 * 24 * time.Hour

// lateness returns the parsed --input-lateness; auto is autoLateness for
// an hourly template, 0 for a daily one.
func (c *InputSettings) lateness() (time.Duration, error) {
	if c.InputLateness == "auto" {
		if hourly(c.Input) {
			return autoLateness, nil
		}
		return 0, nil
	}
	d, err := time.ParseDuration(c.InputLateness)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 1h or 15m, or auto", c.InputLateness)
	}
	if d < 0 || d > maxLateness {
		return 0, fmt.Errorf("%q: want 0 to %v", c.InputLateness, maxLateness)
	}
	return d, nil
}

func (InputSettings) shapesOutput() {}

// RunSettings say where the output goes and which run, date and shard this is.
type RunSettings struct {
	Output string `env:"OUTPUT" flag:"output" desc:"output URL: s3://bucket/prefix, file:///dir or a local path"`
	Date   string `env:"DATE" flag:"date" desc:"the UTC date (YYYY-MM-DD) to compute; default: yesterday when --input is a template, else every date found"`
	From   string `env:"FROM" flag:"from" desc:"with JOB_COMPLETION_INDEX (Kubernetes Indexed Job) set: the date is from + index"`
	RunID  string `env:"RUN_ID" flag:"run" desc:"run id naming this run's files; default: time-based and random; shards of one run share it"`
	Shard  string `env:"SHARD" flag:"shard" desc:"i/n: compute shard i of n (0-based) and write its partial for logsmith merge"`
	Shards int    `env:"SHARDS" flag:"shards" desc:"with JOB_COMPLETION_INDEX (Kubernetes Indexed Job): the shard count; the index is the shard"`
}

// TableSettings say which tables and columns are computed. They shape the output: they are part of the config hash.
type TableSettings struct {
	Window    []string      `env:"WINDOW" envDefault:"5m" flag:"window" desc:"window length, or LENGTH/SLIDE for sliding windows; repeat (or comma-separate) for several tables"`
	Slide     time.Duration `env:"SLIDE" flag:"slide" desc:"slide of windows given without /SLIDE; 0 means tumbling"`
	Sparse    bool          `env:"SPARSE" flag:"sparse" desc:"write only windows with events (default: every window of the range, zero-filled)"`
	GroupBy   []string      `env:"GROUP_BY" flag:"group-by" desc:"dimension fields (dotted paths), comma-separated: one row per window and group"`
	MaxGroups int           `env:"MAX_GROUPS" envDefault:"10000" flag:"max-groups" desc:"groups per window; the rest fold into __other__"`
	Format    []string      `env:"FORMAT" envDefault:"parquet" flag:"format" desc:"output formats, comma-separated: parquet, csv"`
}

func (TableSettings) shapesOutput() {}

// DecodeSettings say how a line is read and what counts as bad input. They shape the output: they are part of the config hash.
type DecodeSettings struct {
	Shape           string  `env:"SHAPE" hash:"unless-default" flag:"shape" desc:"a named log shape (docker, cri, cloudwatch-export, cloudwatch-subscription, firehose, cloudtrail, otlp-json, pino, bunyan, gcp, ecs, journald, alb): defaults for the pipeline and fields below, which any setting given overrides; --help lists what each sets"`
	Pipeline        string  `env:"PIPELINE" hash:"unless-default" flag:"pipeline" desc:"how bytes become events: steps separated by |, e.g. 'json-stream | explode:Records' (docs/input.md, Log shapes); empty: one JSON object per line"`
	PrefixRegexp    string  `env:"PREFIX_REGEXP" hash:"unless-default" flag:"prefix-regexp" desc:"Go regexp of the pipeline's regexp step: its named groups become fields, (?P<payload>...) the message"`
	MaxLineBytes    int     `group:"limits" env:"MAX_LINE_BYTES" envDefault:"1048576" flag:"max-line-bytes" desc:"longest line decoded; longer lines are skipped and counted"`
	MaxDimension    int     `group:"limits" env:"MAX_DIMENSION_BYTES" envDefault:"1024" hash:"unless-default" flag:"max-dimension-bytes" desc:"longest --group-by value, in bytes of its text; a line with a longer one is bad_dimension (the memory estimate counts every group's values at this length)"`
	TimestampField  string  `env:"TIMESTAMP_FIELD" envDefault:"timestamp" flag:"timestamp-field" desc:"JSON field (dotted path) of the event time"`
	TimestampFormat string  `env:"TIMESTAMP_FORMAT" envDefault:"auto" flag:"timestamp-format" desc:"auto, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns, nginx or layout"`
	TimestampLayout string  `env:"TIMESTAMP_LAYOUT" flag:"timestamp-layout" desc:"Go time layout (implies --timestamp-format layout)"`
	TimestampZone   string  `env:"TIMESTAMP_ZONE" flag:"timestamp-zone" desc:"IANA zone (e.g. America/New_York) of --timestamp-layout's zone abbreviations (MST) and of its times without an offset; default UTC"`
	LevelField      string  `env:"LEVEL_FIELD" envDefault:"level" flag:"level-field" desc:"JSON field of the log level (the names docs/input.md lists; numbers only through --level-map); empty disables"`
	LevelMap        string  `env:"LEVEL_MAP" flag:"level-map" desc:"more level values, over the built-in names: KEY[,KEY…]=error|warn|info runs, comma-separated; a key is a name (any case), an integer, a range lo-hi or * (any other value): 10-30=info,40=warn,50-60=error (pino), 0-3=error,4=warn,5-7=info (syslog)"`
	LatencyField    string  `env:"LATENCY_FIELD" envDefault:"latency_ms" flag:"latency-field" desc:"JSON field of the latency: a number in --latency-unit, a duration (5ms, 1m2.5s, 0.005s) or an nginx list (\"0.001, 0.002 : 0.003\" is their sum; \"-\" is no latency); empty disables"`
	LatencyUnit     string  `env:"LATENCY_UNIT" envDefault:"ms" flag:"latency-unit" desc:"unit of the latency field's numbers: ms, us, ns or s (a duration string carries its own; output is always ms)"`
	StatusField     string  `env:"STATUS_FIELD" flag:"status-field" desc:"JSON field of the HTTP status; adds status_2xx..5xx"`
	ErrorStatus     int     `env:"ERROR_STATUS" envDefault:"500" flag:"error-status" desc:"a line without a level is an error when its status is at least this; 0 disables"`
	BytesField      string  `env:"BYTES_FIELD" flag:"bytes-field" desc:"JSON field of the response size; adds bytes_sum"`
	DistinctField   string  `env:"DISTINCT_FIELD" flag:"distinct-field" desc:"JSON field to count distinct values of (e.g. user id); adds distinct_count"`
	MaxObjectBytes  int64   `group:"limits" env:"MAX_OBJECT_BYTES" envDefault:"68719476736" flag:"max-object-bytes" desc:"largest decompressed object; a larger one (e.g. a gzip bomb) is rejected"`
	MaxBadRatio     float64 `group:"limits" env:"MAX_BAD_RATIO" envDefault:"0.01" flag:"max-bad-ratio" desc:"do not commit a date (exit 3) when, of its input, bad lines / lines, damaged objects / objects or their bytes / bytes exceed this"`
}

func (DecodeSettings) shapesOutput() {}

// ReadSettings tune how inputs are read; they never change the rows.
type ReadSettings struct {
	SplitBytes        int64         `env:"SPLIT_BYTES" envDefault:"268435456" flag:"split-bytes" desc:"read uncompressed objects larger than this as several byte ranges; 0 disables"`
	Workers           int           `env:"WORKERS" flag:"workers" desc:"objects processed at once; 0 means GOMAXPROCS: the CPUs the process may use (a container's CPU limit)"`
	ReadRetryDeadline time.Duration `env:"RETRY_DEADLINE" envDefault:"2m" flag:"retry-deadline" desc:"how long to keep retrying a failing storage call, resuming reads where they stopped"`
	ReadAhead         int64         `env:"READ_AHEAD" envDefault:"2097152" flag:"read-ahead" desc:"bytes of each s3:// object read ahead of decoding, in the background (the next object's too); 0 disables"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"60s" flag:"idle-timeout" desc:"abandon and resume a read that delivers no data for this long"`
	SpillDir          string        `env:"SPILL_DIR" flag:"spill-dir" desc:"local folder an aggregate that passes its memory budget (a share of the memory limit; docs/performance.md, Spilling) is spilled to, in a folder of its own removed when the run ends; empty: the system's temporary folder ($TMPDIR, else /tmp)"`
}

// CommitSettings say when and how a run commits, and what it keeps.
type CommitSettings struct {
	SkipCommitted    bool          `env:"SKIP_COMMITTED" flag:"skip-committed" desc:"skip a date already committed from the same input objects and config (a backfill always does unless --force, and refuses a value that contradicts --force)"`
	AllowEmpty       bool          `env:"ALLOW_EMPTY" flag:"allow-empty" desc:"commit even when the input holds no event (of the date), replacing a partition that has events"`
	AllowFewer       bool          `env:"ALLOW_FEWER_EVENTS" flag:"allow-fewer-events" desc:"commit a partition even when it would hold fewer events than the commit it replaces (input objects deleted, expired or now damaged; a config that keeps fewer)"`
	CommitLease      time.Duration `env:"COMMIT_LEASE" envDefault:"10m" flag:"commit-lease" desc:"how long another run's unfinished commit of a partition is waited for before it is taken to be abandoned"`
	GCGrace          time.Duration `env:"GC_GRACE" envDefault:"1h" flag:"gc-grace" desc:"how long files no commit lists (abandoned partials, dropped formats, old-layout runs) stay before deletion"`
	RejectsRetention time.Duration `env:"REJECTS_RETENTION" envDefault:"720h" flag:"rejects-retention" desc:"how long samples of bad lines stay in <output>/_rejects/; 0 keeps them"`
	RejectSamples    int           `env:"REJECT_SAMPLES" envDefault:"20" flag:"reject-samples" desc:"bad lines per object kept in <output>/_rejects/ for inspection"`
	// ParquetCompression changes the files' bytes, never their rows: it
	// is not part of the config hash.
	ParquetCompression string `env:"PARQUET_COMPRESSION" envDefault:"zstd" flag:"parquet-compression" desc:"how Parquet files' pages are compressed: zstd (each column's pages at Zstandard's level 3, or level 1 where that is no larger), zstd-fastest (level 1 for every page: files 4-7% larger, about 1% less CPU), snappy or none; --table-format hive only (Iceberg tables are written zstd)"`
}

// CheckSettings are the guards a run applies before it commits or starts.
type CheckSettings struct {
	MaxPanes     int  `env:"MAX_PANES" envDefault:"200000" flag:"max-panes" desc:"undated runs: fail (exit 3) when the input spans more finest windows than this"`
	MemoryCheck  bool `env:"MEMORY_CHECK" envDefault:"true" flag:"memory-check" desc:"refuse a run (exit 2) once its input is listed when the memory estimated from its size and a sample of its events (docs/performance.md, Memory) would not fit the memory limit (the lower of GOMEMLIMIT and the cgroup's), and a merge before it starts when panes × --max-groups would not; false skips the check"`
	StrictFields bool `env:"STRICT_FIELDS" flag:"strict-fields" desc:"do not commit a date (exit 3) when a configured field (level, latency, status, bytes, distinct, group-by) has no value in any of its events the run writes (events outside --date do not count), or a level is not a known one (see --level-map)"`
}

// CLISettings shape what the command prints and reports; they never change the rows.
type CLISettings struct {
	PushgatewayURL string `env:"PUSHGATEWAY_URL" flag:"pushgateway-url" desc:"Prometheus Pushgateway to push run metrics to (with POST, grouped by job and mode)"`
	Quiet          bool   `env:"QUIET" flag:"quiet" desc:"no progress bar on a terminal"`
	JSON           bool   `env:"JSON" flag:"json" desc:"print the run summary as one JSON object"`
	LogLevel       string `env:"LOG_LEVEL" envDefault:"info" flag:"log-level" desc:"log level: debug, info, warn, error"`
	DryRun         bool   `env:"DRY_RUN" flag:"dry-run" desc:"read the input and report what would be committed or replaced, with the events of each partition and of the commit it replaces; write nothing (no data, manifests, rejects, shards or gc)"`
	Report         string `env:"REPORT" flag:"report" desc:"run, merge: after committing, write a self-contained HTML page of what the run committed (charts per table, hourly sums, bad lines) to this file"`
}

// IcebergSettings say whether the tables are committed as Apache Iceberg
// tables, and through which catalog. They never change the rows.
type IcebergSettings struct {
	TableFormat              string        `env:"TABLE_FORMAT" envDefault:"hive" flag:"table-format" desc:"hive: each table as date=D folders of Parquet/CSV files under --output; iceberg: each table (one per window spec, features_<window>) as an Apache Iceberg table whose warehouse is --output, one snapshot per committed date"`
	IcebergCatalog           string        `env:"ICEBERG_CATALOG" flag:"iceberg-catalog" desc:"with --table-format iceberg: sqlite:///path/catalog.db, postgres://user:pw@host/db, http(s)://host/path (a REST catalog: Polaris, Nessie, Glue or S3 Tables endpoints) or glue; default for a local --output: sqlite:///<output>/_catalog.db" secret:"url"`
	IcebergNamespace         string        `env:"ICEBERG_NAMESPACE" envDefault:"logsmith" flag:"iceberg-namespace" desc:"with --table-format iceberg: the namespace holding the tables (dots separate levels)"`
	IcebergRESTCredential    string        `env:"ICEBERG_REST_CREDENTIAL" desc:"REST catalog: client_id:client_secret for its OAuth2 token endpoint" secret:"true"`
	IcebergRESTToken         string        `env:"ICEBERG_REST_TOKEN" desc:"REST catalog: a bearer token" secret:"true"`
	IcebergRESTWarehouse     string        `env:"ICEBERG_REST_WAREHOUSE" flag:"iceberg-rest-warehouse" desc:"REST catalog: the warehouse it serves, as it names it (Polaris: the catalog name; S3 Tables: the table bucket ARN)"`
	IcebergRESTSigV4         string        `env:"ICEBERG_REST_SIGV4_SERVICE" flag:"iceberg-rest-sigv4-service" desc:"REST catalog: sign requests with AWS SigV4 for this service (glue, s3tables), in --s3-region"`
	IcebergSnapshotRetention time.Duration `env:"ICEBERG_SNAPSHOT_RETENTION" envDefault:"168h" flag:"iceberg-snapshot-retention" desc:"with --table-format iceberg: a commit and gc expire snapshots older than this (the last --iceberg-keep-snapshots and the current one stay)"`
	IcebergKeepSnapshots     int           `env:"ICEBERG_KEEP_SNAPSHOTS" envDefault:"10" flag:"iceberg-keep-snapshots" desc:"with --table-format iceberg: snapshots always kept, newest first, however old"`
}

// Iceberg reports whether the tables are Iceberg tables.
func (s *IcebergSettings) Iceberg() bool { return s.TableFormat == "iceberg" }

// Config is the configuration of one run, read from LOGSMITH_* variables and
// overridden by flags. Its parts are embedded, so a setting is read as
// cfg.Input whichever part holds it, and a function takes only the part it
// needs.
type Config struct {
	FileSettings    `group:"command"`
	InputSettings   `group:"input"`
	RunSettings     `group:"output"`
	TableSettings   `group:"windows"`
	DecodeSettings  `group:"decoding"`
	ReadSettings    `group:"storage"`
	CommitSettings  `group:"commit"`
	CheckSettings   `group:"limits"`
	CLISettings     `group:"command"`
	IcebergSettings `group:"iceberg"`

	S3 S3Settings `envPrefix:"S3_" group:"storage"`

	// CompletionIndex is JOB_COMPLETION_INDEX as set by a Kubernetes Indexed
	// Job, or -1. With From it selects the date.
	CompletionIndex int `json:"-"`
}

// Shape is the part of a config that decides the rows a run writes: the
// config hash is the hash of its settings, and nothing else.
type Shape struct {
	InputSettings
	TableSettings
	DecodeSettings
}

// Shape returns the settings that decide the rows.
func (c *Config) Shape() Shape {
	return Shape{c.InputSettings, c.TableSettings, c.DecodeSettings}
}

// shaper marks the parts of a config that shape the output.
type shaper interface{ shapesOutput() }

// shard returns the shard this run computes, from --shard i/n or from
// JOB_COMPLETION_INDEX with --shards n.
func (c *Config) shard() (i, n int, ok bool) {
	if c.Shard != "" {
		return shard.Parse(c.Shard)
	}
	if c.Shards > 0 && c.CompletionIndex >= 0 && c.CompletionIndex < c.Shards && c.Shards <= shard.MaxShards {
		return c.CompletionIndex, c.Shards, true
	}
	return 0, 0, false
}

// AsksShard reports whether the settings ask for one shard of a sharded
// run (--shard, or --shards with the Indexed Job's index), valid or not.
func (c *Config) AsksShard() bool { return c.Shard != "" || c.Shards > 0 }

// ForMerge returns the config a merge resolves: c without the shard
// settings, which in a merge's pod (sharing the map pods' ConfigMap) name
// no shard of it.
func (c Config) ForMerge() *Config {
	c.Shard, c.Shards = "", 0
	return &c
}

// spec returns what the decoder reads and computes, for Resolve; on a bad
// setting it returns the setting's field and the error.
func (c *Config) spec() (features.Spec, string, error) {
	tf, err := features.ParseTimeFormat(c.TimestampFormat)
	if err != nil {
		return features.Spec{}, "TimestampFormat", err
	}
	pl, err := features.ParsePipeline(c.Pipeline, c.PrefixRegexp)
	if err != nil {
		return features.Spec{}, "Pipeline", err
	}
	levels, err := features.ParseLevelMap(c.LevelMap)
	if err != nil {
		return features.Spec{}, "LevelMap", err
	}
	if c.TimestampLayout != "" {
		tf = features.TimeLayout
	}
	return features.Spec{
		Fields: features.Fields{
			Timestamp: c.TimestampField, Level: c.LevelField, Latency: c.LatencyField,
			Status: c.StatusField, Bytes: c.BytesField, Distinct: c.DistinctField,
		},
		TimeFormat: tf, TimeLayout: c.TimestampLayout, TimeZone: c.TimestampZone, LatencyUnit: c.LatencyUnit,
		ErrorStatus: c.ErrorStatus, GroupBy: c.GroupBy, Pipeline: pl, MaxDimension: c.MaxDimension, Levels: levels,
	}, "", nil
}

// Columns returns the optional columns the config adds to every table.
func (c *Config) Columns() features.Columns {
	cols := features.Columns{Status: c.StatusField != "", Bytes: c.BytesField != "", Distinct: c.DistinctField != ""}
	for _, g := range c.GroupBy {
		cols.Dims = append(cols.Dims, features.DimColumn(g))
	}
	return cols
}

// ParseDuration parses a duration setting as Go writes durations; its
// error lists the accepted spellings rather than Go's parser's words.
func ParseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, features.ErrNotDuration
	}
	return d, nil
}

// Windows parses the window specifications.
func (c *TableSettings) Windows() ([]features.Window, error) {
	var ws []features.Window
	seen := map[string]string{} // window name -> the spec giving it
	for _, s := range c.Window {
		w, err := features.ParseWindowSpec(s, c.Slide)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", s, err)
		}
		day := 24 * time.Hour
		switch {
		case w.Size < time.Second || w.Size > day:
			return nil, fmt.Errorf("%q: length must be 1s to 24h", s)
		case w.Slide < time.Second || w.Slide > w.Size:
			return nil, fmt.Errorf("%q: slide must be 1s to the window length", s)
		case day%w.Slide != 0:
			return nil, fmt.Errorf("%q: slide (or tumbling length) %v must divide 24h", s, w.Slide)
		case w.Size%time.Second != 0 || w.Slide%time.Second != 0:
			return nil, fmt.Errorf("%q: use whole seconds", s)
		}
		if prev, dup := seen[w.String()]; dup {
			if prev == s {
				return nil, fmt.Errorf("%q given twice", s)
			}
			return nil, fmt.Errorf("%q and %q are the same window (%s)", prev, s, w)
		}
		seen[w.String()] = s
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return nil, errors.New("at least one window is needed")
	}
	return ws, nil
}

// EffectiveWorkers returns the worker count, resolving 0 to the CPU count.
func (c *ReadSettings) EffectiveWorkers() int {
	if c.Workers > 0 {
		return c.Workers
	}
	// GOMAXPROCS, not NumCPU (the node's): it follows a container's CPU limit.
	return runtime.GOMAXPROCS(0)
}

// Validate checks every setting and returns the first bad one as a
// *ConfigError.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return SettingError(c, field, fmt.Errorf(format, args...))
	}
	if err := CheckWhitespace(c); err != nil {
		return err
	}
	if c.Input == "" {
		return bad("Input", "required")
	}
	if err := checkLocation(c.Input); err != nil {
		return bad("Input", "%v", err)
	}
	if c.Output == "" {
		return bad("Output", "required")
	}
	if c.Output == "-" {
		return bad("Output", "cannot be standard output")
	}
	if err := checkLocation(c.Output); err != nil {
		return bad("Output", "%v", err)
	}
	for _, f := range []string{"Date", "From"} {
		if v := reflect.ValueOf(c).Elem().FieldByName(f).String(); v != "" {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return bad(f, "%q: want YYYY-MM-DD", v)
			}
		}
	}
	if c.Date != "" && c.From != "" {
		return bad("From", "set either --date or --from, not both")
	}
	if c.Shard != "" || c.Shards > 0 {
		if _, _, ok := c.shard(); !ok {
			return bad("Shard", "%q: want i/n with 0 <= i < n <= 10000 (or LOGSMITH_SHARDS with JOB_COMPLETION_INDEX)", c.Shard)
		}
		if c.Shards > 0 && c.From != "" {
			return bad("Shards", "JOB_COMPLETION_INDEX cannot be both the shard and the date offset (--from)")
		}
		if c.RunID == "" {
			return bad("RunID", "required with --shard: every shard of a run, and the merge, use the same run id")
		}
		if c.Input == "-" {
			return bad("Shard", "standard input cannot be sharded")
		}
		if c.Date == "" && !IsTemplate(c.Input) {
			return bad("Shard", "a sharded run needs --date or a templated input")
		}
	}
	if c.SplitBytes < 0 {
		return bad("SplitBytes", "%d: must not be negative", c.SplitBytes)
	}
	if c.From != "" && c.CompletionIndex < 0 && c.Shards == 0 {
		return bad("From", "needs JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job)")
	}
	if c.WidenDays < 0 || c.WidenDays > 7 {
		return bad("WidenDays", "%d: want 0 to 7", c.WidenDays)
	}
	if c.WidenDays > 0 && !IsTemplate(c.Input) {
		return bad("WidenDays", "needs a templated --input")
	}
	if IsTemplate(c.Input) {
		if err := checkTemplate(c.Input); err != nil {
			return bad("Input", "%q: %v", c.Input, err)
		}
	}
	if _, err := features.LoadZone(c.InputZone); err != nil {
		return bad("InputZone", "%v", err)
	}
	if c.InputZone != "" && !IsTemplate(c.Input) {
		return bad("InputZone", "needs a templated --input: it says how the template's folders are named")
	}
	if _, err := c.lateness(); err != nil {
		return bad("InputLateness", "%v", err)
	}
	if c.InputLateness != "auto" && !IsTemplate(c.Input) {
		return bad("InputLateness", "needs a templated --input: without one every object under the input is read")
	}
	if c.RunID != "" && !validRunID(c.RunID) {
		return bad("RunID", "%q: want 1-64 letters, digits, '-', '_' or '.'", c.RunID)
	}
	if c.RejectsRetention < 0 {
		return bad("RejectsRetention", "%v: must not be negative", c.RejectsRetention)
	}
	if c.CommitLease < time.Second {
		return bad("CommitLease", "%v: must be at least 1s", c.CommitLease)
	}
	if c.GCGrace < 0 {
		return bad("GCGrace", "%v: must not be negative", c.GCGrace)
	}
	if c.Slide < 0 {
		return bad("Slide", "%v: must not be negative", c.Slide)
	}
	if _, err := c.Windows(); err != nil {
		return bad("Window", "%v", err)
	}
	if c.MaxPanes < 1 {
		return bad("MaxPanes", "%d: must be positive", c.MaxPanes)
	}
	if c.MaxGroups < 1 || c.MaxGroups > 1_000_000 {
		return bad("MaxGroups", "%d: want 1 to 1000000", c.MaxGroups)
	}
	if _, err := features.ParsePipeline(c.Pipeline, c.PrefixRegexp); err != nil {
		if c.PrefixRegexp != "" && strings.Contains(err.Error(), "regexp") {
			return bad("PrefixRegexp", "%v", err)
		}
		return bad("Pipeline", "%v", err)
	}
	for _, f := range []struct{ name, v string }{
		{"TimestampField", c.TimestampField}, {"LevelField", c.LevelField}, {"LatencyField", c.LatencyField},
		{"StatusField", c.StatusField}, {"BytesField", c.BytesField}, {"DistinctField", c.DistinctField},
	} {
		if _, err := features.ParsePath(f.v); err != nil {
			return bad(f.name, "%v", err)
		}
	}
	for _, g := range c.GroupBy {
		if _, err := features.ParsePath(g); err != nil {
			return bad("GroupBy", "%v", err)
		}
	}
	if _, err := features.ParseTimeFormat(c.TimestampFormat); err != nil {
		return bad("TimestampFormat", "%v", err)
	}
	if c.TimestampFormat == "layout" && c.TimestampLayout == "" {
		return bad("TimestampLayout", "required with --timestamp-format layout")
	}
	if c.TimestampLayout != "" && c.TimestampFormat != "layout" && c.TimestampFormat != "auto" {
		return bad("TimestampFormat", "%q conflicts with --timestamp-layout, which reads timestamps by its layout: give one of the two", c.TimestampFormat)
	}
	zone, err := features.LoadZone(c.TimestampZone)
	if err != nil {
		return bad("TimestampZone", "%v", err)
	}
	if c.TimestampZone != "" && c.TimestampLayout == "" {
		return bad("TimestampZone", "applies only with --timestamp-layout: the other formats carry their offset or are UTC")
	}
	if c.TimestampLayout != "" {
		if _, err := features.NewLayout(c.TimestampLayout, zone); err != nil {
			return bad("TimestampLayout", "%v", err)
		}
	}
	if _, err := features.LatencyScale(c.LatencyUnit); err != nil {
		return bad("LatencyUnit", "%v", err)
	}
	if _, err := features.ParseLevelMap(c.LevelMap); err != nil {
		return bad("LevelMap", "%v", err)
	}
	if c.ErrorStatus < 0 || c.ErrorStatus > 999 {
		return bad("ErrorStatus", "%d: want 0 to 999", c.ErrorStatus)
	}
	if len(c.GroupBy) > features.MaxGroupBy {
		return bad("GroupBy", "%d fields: at most %d", len(c.GroupBy), features.MaxGroupBy)
	}
	for _, g := range c.GroupBy {
		if g == "" {
			return bad("GroupBy", "%q: empty path segment", g)
		}
	}
	if err := c.Columns().Validate(reservedColumns()...); err != nil {
		return bad("GroupBy", "%v", err)
	}
	if setting, err := outputFolderClash(c.Output, c.Columns()); err != nil {
		return bad(setting, "%v", err)
	}
	if len(c.Format) == 0 {
		return bad("Format", "at least one of parquet, csv")
	}
	for i, f := range c.Format {
		if f != "parquet" && f != "csv" {
			return bad("Format", "%q: want parquet, csv or parquet,csv", f)
		}
		if slices.Contains(c.Format[:i], f) {
			return bad("Format", "%q given twice", f)
		}
	}
	if !features.ParquetCompression(c.ParquetCompression).Valid() {
		return bad("ParquetCompression", "%q: want one of %v", c.ParquetCompression, features.ParquetCompressions)
	}
	if c.Iceberg() && c.ParquetCompression != string(features.ParquetZstd) {
		return bad("ParquetCompression", "%q: Iceberg tables are written zstd (iceberg-go's writer); the setting applies to --table-format hive", c.ParquetCompression)
	}
	if c.Workers < 0 || c.Workers > 1024 {
		return bad("Workers", "%d: want 0 (all CPUs) to 1024", c.Workers)
	}
	if c.MaxDimension < 1 || c.MaxDimension > 1<<20 {
		return bad("MaxDimension", "%d: want 1 to 1048576", c.MaxDimension)
	}
	if c.MaxLineBytes < 1024 || c.MaxLineBytes > 256<<20 {
		return bad("MaxLineBytes", "%d: want 1024 to 268435456", c.MaxLineBytes)
	}
	if c.TimestampField == "" {
		return bad("TimestampField", "required")
	}
	if c.MaxObjectBytes < 1 {
		return bad("MaxObjectBytes", "%d: must be positive", c.MaxObjectBytes)
	}
	if c.MaxBadRatio < 0 || c.MaxBadRatio > 1 || math.IsNaN(c.MaxBadRatio) {
		return bad("MaxBadRatio", "%v: want 0 to 1", c.MaxBadRatio)
	}
	if c.RejectSamples < 0 || c.RejectSamples > 100000 {
		return bad("RejectSamples", "%d: want 0 to 100000", c.RejectSamples)
	}
	if c.ReadRetryDeadline < 0 {
		return bad("ReadRetryDeadline", "%v: must not be negative", c.ReadRetryDeadline)
	}
	if c.ReadAhead < 0 {
		return bad("ReadAhead", "%d: must not be negative", c.ReadAhead)
	}
	if c.IdleTimeout < 0 {
		return bad("IdleTimeout", "%v: must not be negative", c.IdleTimeout)
	}
	if field, err := c.IcebergSettings.check(c.Output, c.Format); err != nil {
		return bad(field, "%v", err)
	}
	if err := c.checkReport(); err != nil {
		return err
	}
	if overlaps(c.Input, c.Output) {
		return bad("Output", "%q overlaps the input %q: a run would read its own output back as input; use separate folders or prefixes", c.Output, c.Input)
	}
	return nil
}

// outputFolderClash refuses an output whose path has a key=value folder
// named, in any case, like a column of the table or a partition key:
// hive-partitioned readers add every such folder of a file's path as a
// column, as they add date= and window=, so the column would read the
// folder's value. It returns the setting to blame: GroupBy when the column
// is a dimension, else Output.
func outputFolderClash(output string, cols features.Columns) (string, error) {
	p := output
	if _, rest, ok := strings.Cut(p, "://"); ok {
		p = rest
	}
	for _, seg := range strings.Split(p, "/") {
		key, _, ok := strings.Cut(seg, "=")
		if !ok || key == "" {
			continue
		}
		for _, col := range cols.Schema() {
			if strings.EqualFold(key, col.Name) {
				setting := "Output"
				if slices.Contains(cols.Dims, col.Name) {
					setting = "GroupBy"
				}
				return setting, fmt.Errorf("column %q clashes with the folder %s of --output: hive-partitioned reads add it as a column of that name (group by another field, or write the output elsewhere)", col.Name, seg)
			}
		}
		for _, k := range table.PartitionKeys {
			if strings.EqualFold(key, k) {
				return "Output", fmt.Errorf("the folder %s of --output clashes with the partition key %s: hive-partitioned reads add both as columns", seg, k)
			}
		}
	}
	return "", nil
}
