package settings

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validConfig returns a config that validates, reading in and writing out.
func validConfig(t *testing.T, in, out string) Config {
	t.Helper()
	var c Config
	if err := ParseEnv(&c, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	c.Input, c.Output = in, out
	if err := c.Validate(); err != nil {
		t.Fatalf("base config: %v", err)
	}
	return c
}

// wantConfigError checks err is a *ConfigError naming env and saying want.
func wantConfigError(t *testing.T, what string, err error, env, want string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Env != env || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v; want a config error of %s saying %q", what, err, env, want)
	}
}

// Issue 12: an output a run would read back as input is a config error,
// in either direction, for S3 and local folders, templated or not.
func TestOutputOverlappingInput(t *testing.T) {
	d := t.TempDir()
	for _, sub := range []string{"logs", "logs/sub", "logs2", "features"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d, "logs", "a.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(d, "logs"), filepath.Join(d, "alias")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, out string
		overlap bool
	}{
		{"s3://b-1/logs/", "s3://b-1/logs/features", true},
		{"s3://b-1/logs/", "s3://b-1/logs", true},
		{"s3://b-1/logs", "s3://b-1/logs", true},
		{"s3://b-1/logs", "s3://b-1/logs-features", true}, // listing "logs" also lists "logs-features/"
		{"s3://b-1/logs/", "s3://b-1/logs-features", false},
		{"s3://b-1/features/in/", "s3://b-1/features", true},
		{"s3://b-1/", "s3://b-1/features", true},
		{"s3://b-1/logs/", "s3://b-1/", true},
		{"s3://b-1/logs/", "s3://b-2/logs/", false},
		{"s3://b-1/logs/{yyyy}/{mm}/{dd}/", "s3://b-1/logs/features", true},
		{"s3://b-1/logs/{yyyy}/{mm}/{dd}/", "s3://b-1/features", false},
		{"s3://b-1/{yyyy}/{mm}/", "s3://b-1/features", true}, // the fixed part is the whole bucket
		{"s3://b-1/app-{date}.jsonl", "s3://b-1/app-features", true},
		{"s3://b-1/logs/%{yyyy}#", "s3://b-1/logs/%", true},
		{"s3://b-1/logs/", "file:///logs", false},
		{"-", "s3://b-1/x", false},
		{d + "/logs", d + "/logs", true},
		{"file://" + d + "/logs/", d + "/logs", true},
		{d + "/logs", d + "/logs/features", true},
		{d + "/logs/sub", d + "/logs", true},
		{d + "/logs", d + "/logs2", false},
		{d + "/logs", d + "/features", false},
		{d + "/logs/{yyyy}/{mm}/", d + "/logs/features", true},
		{d + "/logs/{yyyy}/{mm}/", d + "/features", false},
		{d + "/logs-{date}.jsonl", d + "/logs-out", true},
		{d + "/logs", d + "/alias/features", true}, // the same folder by a symlink
		{d + "/alias/sub", d + "/logs", true},
		{d + "/logs/a.jsonl", d + "/logs/out", false}, // one file
		{d + "/logs/a.jsonl", d + "/logs/a.jsonl.out", true},
	} {
		if got := overlaps(tc.in, tc.out); got != tc.overlap {
			t.Errorf("overlaps(%q, %q) = %v, want %v", tc.in, tc.out, got, tc.overlap)
		}
	}
	c := validConfig(t, d+"/logs", d+"/features")
	c.Output = d + "/logs/features"
	wantConfigError(t, "output inside input", c.Validate(), "LOGSMITH_OUTPUT", "overlaps the input")
	c.Input, c.Output = "s3://b-1/logs/{yyyy}/{mm}/{dd}/", "s3://b-1/logs"
	c.Date = "2025-11-08"
	wantConfigError(t, "templated input inside output", c.Validate(), "LOGSMITH_OUTPUT", "overlaps the input")
}

// Issue 12: a format or window given twice, or two window specs naming the
// same window, is a config error.
func TestDuplicateFormatsAndWindows(t *testing.T) {
	d := t.TempDir()
	base := validConfig(t, d+"/in", d+"/out")
	for _, f := range [][]string{{"csv", "csv"}, {"parquet", "csv", "parquet"}} {
		c := base
		c.Format = f
		wantConfigError(t, strings.Join(f, ","), c.Validate(), "LOGSMITH_FORMAT", "given twice")
	}
	for _, tc := range []struct {
		windows []string
		slide   time.Duration
		want    string
	}{
		{[]string{"5m", "5m"}, 0, `"5m" given twice`},
		{[]string{"5m", "300s"}, 0, "same window (5m)"},
		{[]string{"5m", "5m/5m"}, 0, "same window"},
		{[]string{"1h", "60m0s"}, 0, "same window (1h)"},
		{[]string{"15m/5m", "900s/300s"}, 0, "same window"},
		{[]string{"5m", "5m/1m"}, time.Minute, "same window"},
	} {
		c := base
		c.Window, c.Slide = tc.windows, tc.slide
		wantConfigError(t, strings.Join(tc.windows, ","), c.Validate(), "LOGSMITH_WINDOW", tc.want)
	}
	c := base
	c.Window = []string{"5m", "15m/5m", "1h"}
	if err := c.Validate(); err != nil {
		t.Errorf("distinct windows: %v", err)
	}
}

// A config built in code (not through ParseEnv and flags) is checked for
// stray whitespace too; a secret is named but never shown.
func TestValidateRefusesStrayWhitespace(t *testing.T) {
	d := t.TempDir()
	base := validConfig(t, d+"/in", d+"/out")
	for _, tc := range []struct {
		set  func(*Config)
		env  string
		hide string
	}{
		{func(c *Config) { c.Input += " " }, "LOGSMITH_INPUT", ""},
		{func(c *Config) { c.LatencyField = "latency_ms " }, "LOGSMITH_LATENCY_FIELD", ""},
		{func(c *Config) { c.TimestampLayout = " 2006" }, "LOGSMITH_TIMESTAMP_LAYOUT", ""},
		{func(c *Config) { c.GroupBy = []string{"service", "user "} }, "LOGSMITH_GROUP_BY", ""},
		{func(c *Config) { c.S3.SecretKey = "Zebra-secret\n" }, "LOGSMITH_S3_SECRET_KEY", "Zebra"},
		// Invisible characters: a byte-order mark, zero-width space, joiners,
		// word joiner, soft hyphen, a control character, a variation selector
		// and a Hangul filler, at either end.
		{func(c *Config) { c.Output = "\ufeffs3://hbk/feat" }, "LOGSMITH_OUTPUT", ""},
		{func(c *Config) { c.Input = "\u200b" + c.Input }, "LOGSMITH_INPUT", ""},
		{func(c *Config) { c.LatencyField = "latency_ms\u200c" }, "LOGSMITH_LATENCY_FIELD", ""},
		{func(c *Config) { c.LatencyField = "latency_ms\u200d" }, "LOGSMITH_LATENCY_FIELD", ""},
		{func(c *Config) { c.StatusField = "\u2060status" }, "LOGSMITH_STATUS_FIELD", ""},
		{func(c *Config) { c.BytesField = "bytes\u00ad" }, "LOGSMITH_BYTES_FIELD", ""},
		{func(c *Config) { c.DistinctField = "user\x7f" }, "LOGSMITH_DISTINCT_FIELD", ""},
		{func(c *Config) { c.LevelField = "level\ufe0f" }, "LOGSMITH_LEVEL_FIELD", ""},
		{func(c *Config) { c.TimestampZone = "\u3164UTC" }, "LOGSMITH_TIMESTAMP_ZONE", ""},
		{func(c *Config) { c.GroupBy = []string{"service", "user\ufeff"} }, "LOGSMITH_GROUP_BY", ""},
		{func(c *Config) { c.S3.AccessKey = "\ufeffZebra-key" }, "LOGSMITH_S3_ACCESS_KEY", "Zebra"},
	} {
		c := base
		tc.set(&c)
		err := c.Validate()
		wantConfigError(t, tc.env, err, tc.env, "whitespace")
		if tc.hide != "" && strings.Contains(err.Error(), tc.hide) {
			t.Errorf("%s: the error shows the secret: %v", tc.env, err)
		}
	}
}

// A location that starts like a URL but is not s3:// or file:// would be
// read as a local relative path ("s3:/b/x" makes a folder "s3:" here): it
// is refused for the input and the output of every command, naming the
// setting. The same text after ./ is a local path, and is accepted.
func TestURLTyposAreRefused(t *testing.T) {
	d := t.TempDir()
	t.Chdir(d)
	base := validConfig(t, d+"/in", d+"/out")
	for _, raw := range []string{
		"s3:/b/x", "s3:b/x", "s3//hbk/x", "s3:", "S3:/hbk/x", "file:/x", "file:x", "file//x",
		"gs:/b/x", "http:b", "c:/x", "s3a:/b/x", "a+b.c-d:x", "logs//2025",
	} {
		c := base
		c.Output = raw
		wantConfigError(t, "output "+raw, c.Validate(), "LOGSMITH_OUTPUT", "starts like a URL")
		c = base
		c.Input = raw
		wantConfigError(t, "input "+raw, c.Validate(), "LOGSMITH_INPUT", "starts like a URL")
		oc := OutputConfig{Output: raw, Format: "parquet"}
		wantConfigError(t, "ls "+raw, oc.Validate(false), "LOGSMITH_OUTPUT", "starts like a URL")
		if err := ParseEnv(&oc, map[string]string{"LOGSMITH_OUTPUT": raw}); err != nil {
			t.Fatal(err)
		}
		wantConfigError(t, "ls "+raw, oc.Validate(false), "LOGSMITH_OUTPUT", "starts like a URL")
		var gc GenerateConfig
		if err := ParseEnv(&gc, map[string]string{"LOGSMITH_OUTPUT": raw}); err != nil {
			t.Fatal(err)
		}
		wantConfigError(t, "generate "+raw, gc.Validate(), "LOGSMITH_OUTPUT", "starts like a URL")
		c = base
		c.Output = "./" + raw
		if err := c.Validate(); err != nil {
			t.Errorf("output ./%s: %v", raw, err)
		}
	}
	for _, ok := range []string{"out", "out/s3:x", "./s3:/b/x", "/tmp/s3:x", "s3://hbk/x", "file://" + d + "/o", "-x", "1s3:/x", "_s3:x"} {
		c := base
		c.Output = ok
		if err := c.Validate(); err != nil {
			t.Errorf("output %s: %v", ok, err)
		}
	}
}

// Issue 23: a group-by column named like a hive partition key, the
// Iceberg partition field or any metric column the table could have,
// or like another dimension, in any case, is refused: DuckDB, Spark and
// Polars resolve names without regard to case and add date= and window=
// as columns, so the clash reads one column's values under another name.
func TestGroupByNamesThatClash(t *testing.T) {
	d := t.TempDir()
	base := validConfig(t, d+"/in", d+"/out")
	for _, g := range [][]string{
		{"date"}, {"Date"}, {"DATE"}, {"window"}, {"Window"}, {"window_start_day"},
		{"window_start"}, {"WINDOW_END"}, {"request_count"}, {"Error_Count"}, {"error_rate"},
		{"latency_p99_ms"}, {"status_2xx"}, {"bytes_sum"}, {"Distinct_Count"},
		{"host", "HOST"}, {"a.b", "a_b"}, {`"Date"`}, {"da.te", "date"},
	} {
		c := base
		c.GroupBy = g
		wantConfigError(t, strings.Join(g, ","), c.Validate(), "LOGSMITH_GROUP_BY", "")
	}
	for _, g := range [][]string{{"dates"}, {"windowing"}, {"host", "service"}, {"user.date"}, {"error"}} {
		c := base
		c.GroupBy = g
		if err := c.Validate(); err != nil {
			t.Errorf("group by %v: %v", g, err)
		}
	}
}
