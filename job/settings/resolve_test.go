package settings

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
)

// Every setting that can be wrong has a case here: Resolve refuses it with
// a *ConfigError naming that setting. A setting with no case must be listed
// in neverBad with the reason it cannot be wrong; the last check fails when
// a new setting has neither.
func TestResolveNamesEveryBadSetting(t *testing.T) {
	d := t.TempDir()
	in, out := filepath.Join(d, "logs"), filepath.Join(d, "out")
	tmpl := func(rest string) string { return in + "/" + rest }
	cases := []struct {
		env  map[string]string
		bad  string // the env variable named
		want string
	}{
		{map[string]string{"INPUT": ""}, "INPUT", "required"},
		{map[string]string{"INPUT": "s3://"}, "INPUT", ""},
		{map[string]string{"INPUT": "s3:/b/x"}, "INPUT", ""},
		{map[string]string{"OUTPUT": ""}, "OUTPUT", "required"},
		{map[string]string{"OUTPUT": "-"}, "OUTPUT", "standard output"},
		{map[string]string{"OUTPUT": filepath.Join(d, "logs", "f")}, "OUTPUT", "overlaps"},
		{map[string]string{"DATE": "2025-13-01"}, "DATE", "YYYY-MM-DD"},
		{map[string]string{"FROM": "yesterday"}, "FROM", "YYYY-MM-DD"},
		{map[string]string{"FROM": "2025-01-01"}, "FROM", "JOB_COMPLETION_INDEX"},
		{map[string]string{"DATE": "2025-01-01", "FROM": "2025-01-01"}, "FROM", "not both"},
		{map[string]string{"WIDEN_DAYS": "8"}, "WIDEN_DAYS", "0 to 7"},
		{map[string]string{"WIDEN_DAYS": "1"}, "WIDEN_DAYS", "templated"},
		{map[string]string{"INPUT": tmpl("{yyyy}/{mm}/{d}{h}/")}, "INPUT", "unpadded"},
		{map[string]string{"INPUT": tmpl("{yyyy}/{m}1/")}, "INPUT", "unpadded"},
		{map[string]string{"INPUT": tmpl("{yyyy}/{mm}/{hh}/")}, "INPUT", "needs a day"},
		{map[string]string{"INPUT": tmpl("{date}/"), "INPUT_ZONE": "Mars/Olympus"}, "INPUT_ZONE", "IANA"},
		{map[string]string{"INPUT": tmpl("{date}/"), "INPUT_ZONE": "Local"}, "INPUT_ZONE", "host's zone"},
		{map[string]string{"INPUT_ZONE": "America/New_York"}, "INPUT_ZONE", "templated"},
		{map[string]string{"INPUT": tmpl("{date}/"), "INPUT_LATENESS": "soon"}, "INPUT_LATENESS", "duration"},
		{map[string]string{"INPUT": tmpl("{date}/"), "INPUT_LATENESS": "-1m"}, "INPUT_LATENESS", "0 to 168h"},
		{map[string]string{"INPUT": tmpl("{date}/"), "INPUT_LATENESS": "169h"}, "INPUT_LATENESS", "0 to 168h"},
		{map[string]string{"INPUT_LATENESS": "1h"}, "INPUT_LATENESS", "templated"},
		{map[string]string{"READ_HIDDEN": "maybe"}, "READ_HIDDEN", "maybe"},
		{map[string]string{"RUN_ID": "a/b"}, "RUN_ID", "letters"},
		{map[string]string{"SHARD": "2/2", "RUN_ID": "r", "DATE": "2025-01-01"}, "SHARD", "i/n"},
		{map[string]string{"SHARD": "0/2", "DATE": "2025-01-01"}, "RUN_ID", "required with --shard"},
		{map[string]string{"SHARD": "0/2", "RUN_ID": "r"}, "SHARD", "needs --date"},
		{map[string]string{"SHARDS": "2", "RUN_ID": "r", "FROM": "2025-01-01"}, "SHARD", ""},
		{map[string]string{"SPLIT_BYTES": "-1"}, "SPLIT_BYTES", "negative"},
		{map[string]string{"GC_GRACE": "-1s"}, "GC_GRACE", "negative"},
		{map[string]string{"REJECTS_RETENTION": "-1h"}, "REJECTS_RETENTION", "negative"},
		{map[string]string{"COMMIT_LEASE": "500ms"}, "COMMIT_LEASE", "at least 1s"},
		{map[string]string{"WINDOW": "7m"}, "WINDOW", "divide 24h"},
		{map[string]string{"WINDOW": "5m,5m"}, "WINDOW", "twice"},
		{map[string]string{"WINDOW": "10m/15m"}, "WINDOW", "slide"},
		{map[string]string{"SLIDE": "-1m"}, "SLIDE", "negative"},
		{map[string]string{"GROUP_BY": "a..b"}, "GROUP_BY", "empty path segment"},
		{map[string]string{"GROUP_BY": strings.Repeat("g,", features.MaxGroupBy) + "g"}, "GROUP_BY", "at most"},
		{map[string]string{"MAX_GROUPS": "0"}, "MAX_GROUPS", "1 to 1000000"},
		{map[string]string{"MAX_PANES": "0"}, "MAX_PANES", "positive"},
		{map[string]string{"FORMAT": "orc"}, "FORMAT", "parquet"},
		{map[string]string{"FORMAT": "csv,csv"}, "FORMAT", "twice"},
		{map[string]string{"WORKERS": "2000"}, "WORKERS", "1024"},
		{map[string]string{"MAX_LINE_BYTES": "10"}, "MAX_LINE_BYTES", "1024"},
		{map[string]string{"MAX_DIMENSION_BYTES": "0"}, "MAX_DIMENSION_BYTES", "1 to 1048576"},
		{map[string]string{"TIMESTAMP_FIELD": ""}, "TIMESTAMP_FIELD", "required"},
		{map[string]string{"TIMESTAMP_FIELD": "a."}, "TIMESTAMP_FIELD", "empty path segment"},
		{map[string]string{"TIMESTAMP_FIELD": `"log.level`}, "TIMESTAMP_FIELD", "unclosed quote"},
		{map[string]string{"SHAPE": "syslog-ng"}, "SHAPE", "unknown shape"},
		{map[string]string{"PIPELINE": "unwrap"}, "PIPELINE", "needs a field path"},
		{map[string]string{"PIPELINE": "unwrap:log | cri"}, "PIPELINE", "comes first"},
		{map[string]string{"PIPELINE": "regexp", "PREFIX_REGEXP": "(x"}, "PREFIX_REGEXP", "prefix regexp"},
		{map[string]string{"PIPELINE": "regexp", "PREFIX_REGEXP": "^(?P<ts>\\S+)"}, "PREFIX_REGEXP", "payload"},
		{map[string]string{"PREFIX_REGEXP": "(?P<payload>.*)"}, "PREFIX_REGEXP", "needs the regexp step"},
		{map[string]string{"GROUP_BY": `a."b`}, "GROUP_BY", "unclosed quote"},
		{map[string]string{"TIMESTAMP_FORMAT": "unix"}, "TIMESTAMP_FORMAT", ""},
		{map[string]string{"TIMESTAMP_FORMAT": "layout"}, "TIMESTAMP_LAYOUT", "required"},
		{map[string]string{"TIMESTAMP_LAYOUT": "hello"}, "TIMESTAMP_LAYOUT", ""},
		{map[string]string{"TIMESTAMP_ZONE": "Mars/Olympus"}, "TIMESTAMP_ZONE", ""},
		{map[string]string{"TIMESTAMP_ZONE": "UTC"}, "TIMESTAMP_ZONE", "only with --timestamp-layout"},
		{map[string]string{"LEVEL_FIELD": ".level"}, "LEVEL_FIELD", "empty path segment"},
		{map[string]string{"LEVEL_MAP": "50"}, "LEVEL_MAP", "no class"},
		{map[string]string{"LEVEL_MAP": "50=fatal"}, "LEVEL_MAP", "want error, warn or info"},
		{map[string]string{"LEVEL_MAP": "0-3=error,3=warn"}, "LEVEL_MAP", "overlap"},
		{map[string]string{"LATENCY_FIELD": "a..b"}, "LATENCY_FIELD", "empty path segment"},
		{map[string]string{"LATENCY_UNIT": "minutes"}, "LATENCY_UNIT", ""},
		{map[string]string{"STATUS_FIELD": "s."}, "STATUS_FIELD", "empty path segment"},
		{map[string]string{"ERROR_STATUS": "1000"}, "ERROR_STATUS", "0 to 999"},
		{map[string]string{"BYTES_FIELD": "b.."}, "BYTES_FIELD", "empty path segment"},
		{map[string]string{"DISTINCT_FIELD": ".u"}, "DISTINCT_FIELD", "empty path segment"},
		{map[string]string{"MAX_OBJECT_BYTES": "0"}, "MAX_OBJECT_BYTES", "positive"},
		{map[string]string{"MAX_BAD_RATIO": "1.5"}, "MAX_BAD_RATIO", "0 to 1"},
		{map[string]string{"REJECT_SAMPLES": "-1"}, "REJECT_SAMPLES", "0 to 100000"},
		{map[string]string{"RETRY_DEADLINE": "-1s"}, "RETRY_DEADLINE", "negative"},
		{map[string]string{"READ_AHEAD": "-1"}, "READ_AHEAD", "negative"},
		{map[string]string{"IDLE_TIMEOUT": "-1s"}, "IDLE_TIMEOUT", "negative"},
		{map[string]string{"S3_ENDPOINT": " minio:9000"}, "S3_ENDPOINT", "whitespace"},
		{map[string]string{"S3_REGION": "eu-west-1\u200b"}, "S3_REGION", "invisible"},
		{map[string]string{"S3_CA_FILE": "ca.pem "}, "S3_CA_FILE", "whitespace"},
		{map[string]string{"S3_ACCESS_KEY": "key\n"}, "S3_ACCESS_KEY", "not shown"},
		{map[string]string{"S3_SECRET_KEY": "\tsecret"}, "S3_SECRET_KEY", "not shown"},
		{map[string]string{"PUSHGATEWAY_URL": "http://pg:9091 "}, "PUSHGATEWAY_URL", "whitespace"},
		{map[string]string{"LOG_LEVEL": "info "}, "LOG_LEVEL", "whitespace"},
		// The file itself is read by the command line (cmd/logsmith), before Resolve.
		{map[string]string{"CONFIG": "logsmith.yaml "}, "CONFIG", "whitespace"},
		{map[string]string{"TABLE_FORMAT": "delta"}, "TABLE_FORMAT", "hive or iceberg"},
		{map[string]string{"PARQUET_COMPRESSION": "lz4"}, "PARQUET_COMPRESSION", "want one of [zstd zstd-fastest snappy none]"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "PARQUET_COMPRESSION": "none"}, "PARQUET_COMPRESSION", "Iceberg tables are written zstd"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "FORMAT": "parquet,csv"}, "FORMAT", "Parquet only"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "OUTPUT": "s3://feat/x"}, "ICEBERG_CATALOG", "required with an s3:// output"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_CATALOG": "sqlite://rel.db"}, "ICEBERG_CATALOG", "absolute"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_CATALOG": "mysql://u:secret@h/db"}, "ICEBERG_CATALOG", "xxxxx"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_CATALOG": "postgres:///db"}, "ICEBERG_CATALOG", "host"},
		{map[string]string{"ICEBERG_CATALOG": "postgres://u:secret@h/db "}, "ICEBERG_CATALOG", "xxxxx"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_NAMESPACE": "a..b"}, "ICEBERG_NAMESPACE", "dots"},
		{map[string]string{"ICEBERG_REST_CREDENTIAL": "id:secret "}, "ICEBERG_REST_CREDENTIAL", "not shown"},
		{map[string]string{"ICEBERG_REST_TOKEN": " tok"}, "ICEBERG_REST_TOKEN", "not shown"},
		{map[string]string{"ICEBERG_REST_WAREHOUSE": "wh\t"}, "ICEBERG_REST_WAREHOUSE", "whitespace"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_REST_SIGV4_SERVICE": "s3"}, "ICEBERG_REST_SIGV4_SERVICE", "glue or s3tables"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_SNAPSHOT_RETENTION": "-1h"}, "ICEBERG_SNAPSHOT_RETENTION", "negative"},
		{map[string]string{"TABLE_FORMAT": "iceberg", "ICEBERG_KEEP_SNAPSHOTS": "0"}, "ICEBERG_KEEP_SNAPSHOTS", "at least 1"},
		// Checked in the hive layout too: a bad value is refused now, not
		// when the format is switched.
		{map[string]string{"ICEBERG_CATALOG": "ftp://x"}, "ICEBERG_CATALOG", "want sqlite"},
		{map[string]string{"ICEBERG_NAMESPACE": "a..b"}, "ICEBERG_NAMESPACE", "dots"},
		// --report: a file, in a folder that exists, of a run that commits.
		{map[string]string{"REPORT": "-"}, "REPORT", "standard output"},
		{map[string]string{"REPORT": "/nonexistent-folder/r.html"}, "REPORT", "no folder"},
		{map[string]string{"REPORT": d}, "REPORT", "folder"},
		{map[string]string{"REPORT": "r.html", "DRY_RUN": "true"}, "REPORT", "dry run"},
		{map[string]string{"REPORT": "r.html", "SHARD": "0/2", "RUN_ID": "x", "DATE": "2025-11-08"}, "REPORT", "shard"},
		{map[string]string{"REPORT": "r.html", "TABLE_FORMAT": "iceberg"}, "REPORT", "iceberg"},
	}
	named := map[string]bool{}
	for _, tc := range cases {
		environ := map[string]string{EnvPrefix + "INPUT": in, EnvPrefix + "OUTPUT": out}
		for k, v := range tc.env {
			environ[EnvPrefix+k] = v
		}
		var c Config
		err := ParseEnv(&c, environ)
		if err == nil {
			_, err = c.Resolve(time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC))
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Env != EnvPrefix+tc.bad || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v; want a config error of %s%s saying %q", tc.env, err, EnvPrefix, tc.bad, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: the error shows a secret: %v", tc.env, err)
		}
		named[tc.bad] = true
	}
	// Settings no value of which is wrong, and why.
	neverBad := map[string]string{
		"SKIP_COMMITTED": "a boolean", "ALLOW_EMPTY": "a boolean", "ALLOW_FEWER_EVENTS": "a boolean", "SPARSE": "a boolean",
		"MEMORY_CHECK": "a boolean", "STRICT_FIELDS": "a boolean", "QUIET": "a boolean", "JSON": "a boolean",
		"S3_INSECURE": "a boolean", "DRY_RUN": "a boolean (with --report, the case of REPORT names it)",
		"SHARDS":    "checked with SHARD (the case above names SHARD)",
		"SPILL_DIR": "a local folder, made or written only when the run spills: one it cannot use fails it there with exit 2 naming it (TestSpillDirUnwritable); where the config is checked (plan, a pod's emptyDir) it may not exist yet",
	}
	var c Config
	for _, s := range Settings(&c) {
		name := strings.TrimPrefix(s.Env, EnvPrefix)
		if !named[name] && neverBad[name] == "" {
			t.Errorf("setting %s has no bad-value case in this test", s.Env)
		}
	}
}

// Resolve parses each setting once into the values a run uses.
func TestResolveParsesOnce(t *testing.T) {
	var c Config
	env := map[string]string{"LOGSMITH_INPUT": "s3://logs/app/{yyyy}/{mm}/{dd}/", "LOGSMITH_OUTPUT": "s3://feat/out",
		"LOGSMITH_WINDOW": "5m,15m/5m", "LOGSMITH_SHARD": "1/4", "LOGSMITH_RUN_ID": "r1", "LOGSMITH_WORKERS": "3"}
	if err := ParseEnv(&c, env); err != nil {
		t.Fatal(err)
	}
	r, err := c.Resolve(time.Date(2025, 11, 9, 0, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if r.Date != "2025-11-08" || !r.Day.Equal(time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date %q %v, want yesterday", r.Date, r.Day)
	}
	if len(r.Windows) != 2 || r.Windows[1].Size != 15*time.Minute || r.Windows[1].Slide != 5*time.Minute {
		t.Errorf("windows %v", r.Windows)
	}
	if r.Shard != 1 || r.Shards != 4 || !r.Sharded() || r.Workers != 3 || r.Stdin {
		t.Errorf("shard %d/%d workers %d stdin %v", r.Shard, r.Shards, r.Workers, r.Stdin)
	}
	if r.Output.Scheme != "s3" || r.Output.Bucket != "feat" || r.Output.Prefix != "out" {
		t.Errorf("output %+v", r.Output)
	}
	if r.Spec.Levels != nil {
		t.Errorf("levels %v without --level-map", r.Spec.Levels)
	}
	c.LevelMap = "10-30=info, 40=warn ,50-60=error"
	if r, err = c.Resolve(time.Date(2025, 11, 9, 0, 30, 0, 0, time.UTC)); err != nil || r.Spec.Levels.String() != "10-30=info,40=warn,50-60=error" {
		t.Errorf("levels %v, %v", r.Spec.Levels, err)
	}
}

// The lateness and the folders' zone are resolved once: auto by the
// template's folders.
func TestResolveInputFolders(t *testing.T) {
	for _, tc := range []struct {
		input, lateness, zone string
		want                  time.Duration
		wantZone              string
	}{
		{"s3://logs/{yyyy}/{mm}/{dd}/{hh}/", "", "", time.Hour, "UTC"},
		{"s3://logs/{date}/h={h}/", "", "", time.Hour, "UTC"},
		{"s3://logs/{yyyy}/{mm}/{dd}/", "", "America/New_York", 0, "America/New_York"},
		{"s3://logs/{date}/", "15m", "Asia/Kolkata", 15 * time.Minute, "Asia/Kolkata"},
		{"s3://logs/{date}/{hh}/", "0", "", 0, "UTC"},
		{"s3://logs/app/", "", "", 0, "UTC"},
	} {
		env := map[string]string{"LOGSMITH_INPUT": tc.input, "LOGSMITH_OUTPUT": "s3://feat/out", "LOGSMITH_DATE": "2025-11-08"}
		if tc.lateness != "" {
			env["LOGSMITH_INPUT_LATENESS"] = tc.lateness
		}
		if tc.zone != "" {
			env["LOGSMITH_INPUT_ZONE"] = tc.zone
		}
		var c Config
		if err := ParseEnv(&c, env); err != nil {
			t.Fatal(err)
		}
		r, err := c.Resolve(time.Now())
		if err != nil {
			t.Fatalf("%v: %v", tc, err)
		}
		if r.Lateness != tc.want || r.InputZone.String() != tc.wantZone {
			t.Errorf("%v: lateness %v zone %v, want %v %s", tc, r.Lateness, r.InputZone, tc.want, tc.wantZone)
		}
	}
}

// The config hash is the hash of Shape's settings by construction: a
// setting outside it cannot change the hash, one inside always does, and
// the value for a given config is pinned (manifests and shard partials
// record it; a change would make --skip-committed recompute every date and
// refuse shards of the previous version).
func TestConfigHashIsTheShape(t *testing.T) {
	var c Config
	env := map[string]string{"LOGSMITH_INPUT": "s3://b/x/{date}/", "LOGSMITH_OUTPUT": "/tmp/o"}
	if err := ParseEnv(&c, env); err != nil {
		t.Fatal(err)
	}
	_, base := ConfigSnapshot(&c)
	if base != "sha256:f9cbd584e7fdd8a819ddfc31a8bb2523932d7d770b2b70bbc29215a4a05546ee" {
		t.Errorf("config hash %s changed", base)
	}
	shape := c.Shape()
	inShape := map[string]bool{}
	for _, s := range Settings(&shape) {
		inShape[s.Env] = true
	}
	for _, s := range Settings(&c) {
		if s.Hash != inShape[s.Env] {
			t.Errorf("%s: Hash %v, in Shape %v", s.Env, s.Hash, inShape[s.Env])
		}
		// Change the setting to another valid-looking value.
		cp := c
		cs := Settings(&cp)
		var v = cs[indexOf(cs, s.Env)].Value
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() / 2)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.ValueOf("x")))
		default:
			t.Fatalf("%s: kind %v", s.Env, v.Kind())
		}
		if _, h := ConfigSnapshot(&cp); (h != base) != inShape[s.Env] {
			t.Errorf("%s changed: hash changed %v, want %v", s.Env, h != base, inShape[s.Env])
		}
	}
}

func indexOf(ss []Setting, env string) int {
	for i, s := range ss {
		if s.Env == env {
			return i
		}
	}
	return -1
}

// A pipeline whose records may span lines (json-stream) or which joins
// lines (cri, docker-join) reads objects whole: Resolve turns
// --split-bytes off for it, and only for it.
func TestResolveSplitBytesFollowsPipeline(t *testing.T) {
	for pl, want := range map[string]int64{"": 1 << 20, "unwrap:log": 1 << 20, "alb": 1 << 20,
		"json-stream": 0, "cri | unwrap:message": 0, "docker-join | unwrap:log": 0} {
		var c Config
		env := map[string]string{EnvPrefix + "INPUT": "/tmp/in", EnvPrefix + "OUTPUT": "/tmp/out",
			EnvPrefix + "SPLIT_BYTES": "1048576", EnvPrefix + "PIPELINE": pl}
		if err := ParseEnv(&c, env); err != nil {
			t.Fatal(err)
		}
		r, err := c.Resolve(time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("pipeline %q: %v", pl, err)
		}
		if r.SplitBytes != want {
			t.Errorf("pipeline %q: split bytes %d, want %d", pl, r.SplitBytes, want)
		}
	}
}
