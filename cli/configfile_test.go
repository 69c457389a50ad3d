package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

// layerValues returns three distinct values of a setting's type that
// parse, one per layer (file, environment, flag), or ok false for a
// setting whose values cannot be told apart this way.
func layerValues(s settings.Setting) (vals [3]string, ok bool) {
	switch s.Env {
	case "LOGSMITH_SHAPE":
		return [3]string{"docker", "cri", "pino"}, true
	case "LOGSMITH_PIPELINE":
		return [3]string{"json-stream", "alb", "cri"}, true
	case "LOGSMITH_PREFIX_REGEXP", "LOGSMITH_CONFIG":
		return vals, false // needs the regexp step; names the file itself
	}
	switch s.Value.Interface().(type) {
	case string, []string:
		return [3]string{"f", "e", "g"}, true
	case time.Duration:
		return [3]string{"1s", "2s", "3s"}, true
	case time.Time:
		return [3]string{"2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"}, true
	case bool:
		return [3]string{"true", "false", "true"}, true
	case float64:
		return [3]string{"0.1", "0.2", "0.3"}, true
	}
	switch s.Value.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return [3]string{"11", "12", "13"}, true
	}
	return vals, false
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// settingValue returns the value and origin of the setting env of cfg
// after parsing args and environ.
func settingValue(t *testing.T, cfg any, cmd, env string, args []string, environ map[string]string) (string, Origin) {
	t.Helper()
	origins, err := ParseLayers(cfg, cmd, args, environ, io.Discard)
	if err != nil {
		t.Fatalf("%s %v %v: %v", cmd, args, environ, err)
	}
	for _, s := range settings.Settings(cfg) {
		if s.Env == env {
			return s.FormatValue(), origins[s.Env]
		}
	}
	t.Fatalf("%s: no setting %s", cmd, env)
	return "", Origin{}
}

// Issue 25 item 6: every setting of every command takes its value from the
// highest layer that gives one: flag > environment > config file >
// default, and says which it was. Each row adds one layer above the last.
func TestConfigFilePrecedence(t *testing.T) {
	for _, cmd := range SettingCommands {
		for _, s := range settings.Settings(ConfigOf(cmd)) {
			vals, ok := layerValues(s)
			if !ok {
				continue
			}
			file := writeFile(t, "logsmith.yaml", fmt.Sprintf("%s: %q\n", s.Key(), vals[0]))
			fresh := ConfigOf(cmd)
			def, o := settingValue(t, fresh, cmd, s.Env, nil, nil)
			if o.Layer != "default" {
				t.Errorf("%s %s: nothing set, from %v", cmd, s.Env, o)
			}
			rows := []struct {
				args    []string
				environ map[string]string
				want    string
				layer   string
			}{
				{nil, nil, def, "default"},
				{[]string{"--config", file}, nil, vals[0], "file"},
				{nil, map[string]string{"LOGSMITH_CONFIG": file}, vals[0], "file"},
				{[]string{"--config", file}, map[string]string{s.Env: vals[1]}, vals[1], "environment"},
			}
			if s.Flag != "" {
				rows = append(rows, struct {
					args    []string
					environ map[string]string
					want    string
					layer   string
				}{[]string{"--config", file, "--" + s.Flag + "=" + vals[2]}, map[string]string{s.Env: vals[1]}, vals[2], "flag"})
			}
			for _, r := range rows {
				got, o := settingValue(t, ConfigOf(cmd), cmd, s.Env, r.args, r.environ)
				want := r.want
				if s.Secret && want != "" {
					want = "(set)"
				}
				if s.Env == "LOGSMITH_START" && r.layer != "default" {
					want = strings.Replace(want, "T00:00:00Z", " 00:00:00 +0000 UTC", 1)
				}
				if got != want || o.Layer != r.layer {
					t.Errorf("%s %s, %v %v: %q from %s, want %q from %s", cmd, s.Env, r.args, r.environ, got, o.Layer, want, r.layer)
				}
			}
		}
	}
}

// A shape's preset sits between the file and the default: a file's value
// overrides it, and the file may name the shape.
func TestConfigFileAndShape(t *testing.T) {
	file := writeFile(t, "f.yaml", "shape: docker\n")
	got, o := settingValue(t, new(settings.Config), "run", "LOGSMITH_PIPELINE", []string{"--config", file}, nil)
	if got != "docker-join | unwrap:log" || o.Layer != "shape" {
		t.Errorf("shape from the file: pipeline %q from %v", got, o)
	}
	file = writeFile(t, "f.yaml", "timestamp-field: ts\n")
	got, o = settingValue(t, new(settings.Config), "run", "LOGSMITH_TIMESTAMP_FIELD", []string{"--config", file, "--shape", "docker"}, nil)
	if got != "ts" || o.Layer != "file" {
		t.Errorf("file over the shape: timestamp field %q from %v", got, o)
	}
}

// List settings take a YAML list or a comma-separated string.
func TestConfigFileLists(t *testing.T) {
	for _, body := range []string{"window: [5m, 1h]\n", "window:\n  - 5m\n  - 1h\n", "window: 5m, 1h\n", "window: \"5m,1h\"\n"} {
		var cfg settings.Config
		if err := Parse(&cfg, "run", []string{"--config", writeFile(t, "f.yaml", body)}, nil, io.Discard); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if !reflect.DeepEqual(cfg.Window, []string{"5m", "1h"}) {
			t.Errorf("%q: window %q", body, cfg.Window)
		}
	}
}

// A file that is not what it should be is refused (exit 2), naming the
// file and the key, and the nearest key for an unknown one.
func TestConfigFileRefused(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"max-bad-ration: 0.1\n", "key max-bad-ration: line 1: not a setting of any command; did you mean max-bad-ratio?"},
		{"LOGSMITH_MAX_BAD_RATIO: 0.1\n", "key LOGSMITH_MAX_BAD_RATIO: line 1: not a setting of any command"},
		{"config: other.yaml\n", "key config: line 1: not a setting of any command"},
		{"max-bad-ratio: x\n", `key max-bad-ratio: "x": strconv.ParseFloat`},
		{"workers: 1.5\n", `key workers: "1.5"`},
		{"quiet: yes\n", `key quiet: "yes"`},
		{"idle-timeout: 5\n", `key idle-timeout: "5"`},
		{"window: 5m\nwindow: 1h\n", "key window: line 2: given twice"},
		{"input: [a, b]\n", "key input: line 1: a list, but the setting takes one value"},
		{"s3:\n  endpoint: x\n", "key s3: line 1: not a setting"},
		{"format: {parquet: 1}\n", "key format: line 1: want a value or a list of values, not a mapping"},
		{"window: [\"5m,1h\"]\n", "list item \"5m,1h\" holds a comma"},
		{"- input: x\n", "line 1: want a mapping"},
		{"input: x\n---\noutput: y\n", "several YAML documents"},
		{"input: [x\n", "not YAML"},
		{"output: \"out \"\n", "leading or trailing whitespace"},
	} {
		path := writeFile(t, "bad.yaml", tc.body)
		err := Parse(new(settings.Config), "run", []string{"--config", path}, nil, io.Discard)
		var ce *settings.ConfigError
		if !errors.As(err, &ce) || failure.ExitCode(err) != 2 || !strings.Contains(err.Error(), "config file "+path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v (exit %d); want a config error naming %s and %q", tc.body, err, failure.ExitCode(err), path, tc.want)
		}
	}
	err := Parse(new(settings.Config), "run", []string{"--config", "/nonexistent/logsmith.yaml"}, nil, io.Discard)
	if failure.ExitCode(err) != 2 || !strings.Contains(err.Error(), "LOGSMITH_CONFIG (--config)") {
		t.Errorf("missing file: %v", err)
	}
	// An empty file, or one of comments, sets nothing.
	for _, body := range []string{"", "# nothing yet\n"} {
		if err := Parse(new(settings.Config), "run", []string{"--config", writeFile(t, "e.yaml", body)}, nil, io.Discard); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}
