package cli

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/settings"
)

// commandConfigs returns a fresh config of every command, by command name.
func commandConfigs() map[string]func() any {
	return map[string]func() any{
		"run":      func() any { return new(settings.Config) },
		"backfill": func() any { return new(settings.BackfillConfig) },
		"generate": func() any { return new(settings.GenerateConfig) },
		"ls":       func() any { return new(settings.OutputConfig) },
	}
}

// sample returns a value of the setting's type that parses.
func sample(t *testing.T, s settings.Setting) string {
	switch s.Env {
	case "LOGSMITH_SHAPE":
		return "docker"
	case "LOGSMITH_PIPELINE":
		return "json-stream"
	case "LOGSMITH_PREFIX_REGEXP":
		return "" // needs the regexp step: see TestShapes
	case "LOGSMITH_CONFIG":
		return writeFile(t, "empty.yaml", "") // a file that exists
	}
	switch s.Value.Interface().(type) {
	case string:
		return "x"
	case time.Duration:
		return "1s"
	case time.Time:
		return "2025-11-08T00:00:00Z"
	case bool:
		return "true"
	case float64:
		return "0.5"
	}
	switch s.Value.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "1"
	}
	t.Fatalf("%s: no sample value for type %s; add one", s.Env, s.Value.Type())
	return ""
}

// Issue 13 item 4: a value with stray whitespace is refused, naming the
// setting by its variable and flag, whether it came from the environment
// or a flag, for every setting of every command. Strings are refused
// because of the whitespace; numbers, durations and booleans because they
// do not parse.
func TestEverySettingRefusesStrayWhitespace(t *testing.T) {
	for cmd, newCfg := range commandConfigs() {
		for _, s := range settings.Settings(newCfg()) {
			if s.Value.Kind() == reflect.Slice {
				continue // lists: see TestListSettingsTrimItems
			}
			v := sample(t, s)
			if err := Parse(newCfg(), cmd, nil, map[string]string{s.Env: v}, io.Discard); err != nil {
				t.Fatalf("%s %s=%q: %v (the sample must parse)", cmd, s.Env, v, err)
			}
			for _, padded := range []string{v + " ", " " + v, "\t" + v, v + "\n", v + "\u00a0",
				"\ufeff" + v, v + "\u200b", "\u200c" + v, v + "\u200d", "\u2060" + v, v + "\u00ad", "\x01" + v, v + "\x7f"} {
				forms := map[string]func() error{"env": func() error {
					return Parse(newCfg(), cmd, nil, map[string]string{s.Env: padded}, io.Discard)
				}}
				if s.Flag != "" {
					forms["flag"] = func() error {
						return Parse(newCfg(), cmd, []string{"--" + s.Flag + "=" + padded}, nil, io.Discard)
					}
				}
				for form, parse := range forms {
					err := parse()
					var ce *settings.ConfigError
					if !errors.As(err, &ce) || ce.Env != s.Env || ce.Flag != s.Flag {
						t.Errorf("%s %s %s=%q: %v; want a config error naming %s (--%s)", cmd, form, s.Env, padded, err, s.Env, s.Flag)
						continue
					}
					if strings.ContainsRune(err.Error(), '\n') {
						t.Errorf("%s %s %s=%q: error spans lines: %q", cmd, form, s.Env, padded, err)
					}
					if _, isString := s.Value.Interface().(string); isString && !strings.Contains(err.Error(), "whitespace") {
						t.Errorf("%s %s %s=%q: %v; want it to say whitespace", cmd, form, s.Env, padded, err)
					}
					if s.Secret && strings.Contains(err.Error(), v) {
						t.Errorf("%s %s: the error shows the secret: %v", cmd, s.Env, err)
					}
				}
			}
		}
	}
}

// Lists are comma-separated; whitespace around items and empty items are
// dropped, the same way in the environment and in flags.
func TestListSettingsTrimItems(t *testing.T) {
	n := 0
	for _, s := range settings.Settings(new(settings.Config)) {
		if s.Value.Kind() != reflect.Slice {
			continue
		}
		n++
		for _, raw := range []string{" a , b ", "a,b", "a,,b,", "\ta,\nb"} {
			fromEnv, fromFlag := new(settings.Config), new(settings.Config)
			if err := Parse(fromEnv, "run", nil, map[string]string{s.Env: raw}, io.Discard); err != nil {
				t.Fatalf("%s=%q: %v", s.Env, raw, err)
			}
			if err := Parse(fromFlag, "run", []string{"--" + s.Flag, raw}, nil, io.Discard); err != nil {
				t.Fatalf("--%s %q: %v", s.Flag, raw, err)
			}
			for form, cfg := range map[string]*settings.Config{"env": fromEnv, "flag": fromFlag} {
				got := reflect.ValueOf(cfg).Elem().FieldByName(s.Field).Interface().([]string)
				if !slices.Equal(got, []string{"a", "b"}) {
					t.Errorf("%s %s %q = %q, want [a b]", form, s.Env, raw, got)
				}
			}
		}
	}
	if n < 3 {
		t.Errorf("found %d list settings, want at least window, group-by and format", n)
	}
}

// An empty text value means empty, from the environment as from a flag:
// LOGSMITH_LEVEL_FIELD="" disables the level like --level-field "" does,
// instead of falling back to the default.
func TestEmptyTextSettingMeansEmpty(t *testing.T) {
	for cmd, newCfg := range commandConfigs() {
		for _, s := range settings.Settings(newCfg()) {
			if _, ok := s.Value.Interface().(string); !ok {
				continue
			}
			fromEnv := newCfg()
			if err := Parse(fromEnv, cmd, nil, map[string]string{s.Env: ""}, io.Discard); err != nil {
				t.Fatalf("%s %s=\"\": %v", cmd, s.Env, err)
			}
			if got := valueOf(fromEnv, s.Field); got != "" {
				t.Errorf("%s %s=\"\" gives %q, want \"\"", cmd, s.Env, got)
			}
			if s.Flag == "" {
				continue
			}
			fromFlag := newCfg()
			if err := Parse(fromFlag, cmd, []string{"--" + s.Flag + "="}, nil, io.Discard); err != nil {
				t.Fatalf("%s --%s=: %v", cmd, s.Flag, err)
			}
			if got := valueOf(fromFlag, s.Field); got != "" {
				t.Errorf("%s --%s= gives %q, want \"\"", cmd, s.Flag, got)
			}
		}
	}
}

// valueOf returns the string field at the dotted path of a config pointer.
func valueOf(cfg any, path string) string {
	v := reflect.ValueOf(cfg).Elem()
	for _, name := range strings.Split(path, ".") {
		v = v.FieldByName(name)
	}
	return v.String()
}

// Issue 23: a flag given twice is refused, naming the setting, for every
// setting of every command but lists, which add each value in order.
func TestRepeatedFlags(t *testing.T) {
	for cmd, newCfg := range commandConfigs() {
		for _, s := range settings.Settings(newCfg()) {
			if s.Flag == "" {
				continue
			}
			if s.Value.Kind() == reflect.Slice {
				cfg := newCfg()
				if err := Parse(cfg, cmd, []string{"--" + s.Flag + "=a", "--" + s.Flag + "=b,c"}, nil, io.Discard); err != nil {
					t.Errorf("%s --%s twice: %v", cmd, s.Flag, err)
				} else if got := strings.Join(reflect.ValueOf(cfg).Elem().FieldByName(strings.Split(s.Field, ".")[0]).Interface().([]string), ","); got != "a,b,c" {
					t.Errorf("%s --%s=a --%s=b,c: %q; want a,b,c", cmd, s.Flag, s.Flag, got)
				}
				continue
			}
			v := sample(t, s)
			if v == "" {
				continue
			}
			for _, args := range [][]string{
				{"--" + s.Flag + "=" + v, "--" + s.Flag + "=" + v},
				{"--" + s.Flag + "=" + v, "-" + s.Flag + "=" + v},
			} {
				err := Parse(newCfg(), cmd, args, nil, io.Discard)
				var ce *settings.ConfigError
				if !errors.As(err, &ce) || ce.Env != s.Env || !strings.Contains(err.Error(), "twice") {
					t.Errorf("%s %v: %v; want a config error naming %s saying twice", cmd, args, err, s.Env)
				}
			}
		}
	}
}

// Issue 23: settings of which one would be ignored are refused together.
func TestConflictingSettings(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--timestamp-format=rfc3339", "--timestamp-layout=2006-01-02 15:04:05"}, "LOGSMITH_TIMESTAMP_FORMAT"},
		{map[string]string{"LOGSMITH_TIMESTAMP_FORMAT": "epoch_ms"}, []string{"--timestamp-layout=2006"}, "LOGSMITH_TIMESTAMP_FORMAT"},
		{nil, []string{"--iceberg-catalog=sqlite:///tmp/c.db"}, "LOGSMITH_ICEBERG_CATALOG"},
		{nil, []string{"--timestamp-zone=UTC"}, "LOGSMITH_TIMESTAMP_ZONE"},
	} {
		var cfg settings.Config
		err := Parse(&cfg, "run", append(tc.args, "--input=/in", "--output=/out"), tc.env, io.Discard)
		if err == nil {
			err = cfg.Validate()
		}
		var ce *settings.ConfigError
		if !errors.As(err, &ce) || ce.Env != tc.want {
			t.Errorf("%v %v: %v; want a config error naming %s", tc.env, tc.args, err, tc.want)
		}
	}
	for _, args := range [][]string{
		{"--timestamp-layout=2006"}, {"--timestamp-format=layout", "--timestamp-layout=2006"},
		{"--table-format=iceberg", "--iceberg-catalog=sqlite:///tmp/c.db"},
	} {
		var cfg settings.Config
		err := Parse(&cfg, "run", append(args, "--input=/in", "--output=/out"), nil, io.Discard)
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
}
