package settings

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caarlos0/env/v11"
)

// ConfigError is a bad setting. It names the setting by its environment
// variable and flag or, for a value from a config file, by the file and
// its key.
type ConfigError struct {
	Env, Flag string
	// File and Key name the config file and key the bad value came from.
	File, Key string
	Err       error
}

// Error renders the setting and the problem on one line.
func (e *ConfigError) Error() string {
	if e.File != "" {
		where := "config file " + e.File
		if e.Key != "" {
			where += ", key " + e.Key
		}
		return fmt.Sprintf("%s: %v", where, e.Err)
	}
	if e.Flag == "" {
		return fmt.Sprintf("config %s: %v", e.Env, e.Err)
	}
	return fmt.Sprintf("config %s (--%s): %v", e.Env, e.Flag, e.Err)
}

// Unwrap returns the underlying problem.
func (e *ConfigError) Unwrap() error { return e.Err }

func SettingError(cfg any, field string, err error) error {
	for _, s := range Settings(cfg) {
		if s.Field == field {
			return &ConfigError{Env: s.Env, Flag: s.Flag, Err: err}
		}
	}
	return &ConfigError{Env: field, Err: err}
}

// CheckWhitespace refuses the first setting of cfg (a pointer to a config
// struct) whose value, or one of whose list items, starts or ends with
// whitespace or an invisible character (see invisible). Such a value is
// almost always a slip (a quoted ConfigMap value, a pasted line, a file
// saved with a byte-order mark) and would silently change what the setting
// means: a field "latency_ms " matches no field, an output "out " makes a
// folder ending in a space, and "\ufeffs3://b/x" is not an S3 URL but a
// local relative path. Numbers, durations and booleans need no check here:
// with such characters they fail to parse, naming the setting.
func CheckWhitespace(cfg any) error {
	for _, s := range Settings(cfg) {
		var vals []string
		switch v := s.Value.Interface().(type) {
		case string:
			vals = []string{v}
		case []string:
			vals = v
		}
		for _, v := range vals {
			first, _ := utf8.DecodeRuneInString(v)
			last, _ := utf8.DecodeLastRuneInString(v)
			r := first
			if !invisible(r) {
				if r = last; !invisible(r) {
					continue
				}
			}
			shown := strconv.Quote(v)
			if s.RedactURL {
				shown = strconv.Quote(redactURL(v))
			}
			if s.Secret {
				shown = "the value (not shown)"
			}
			return &ConfigError{Env: s.Env, Flag: s.Flag,
				Err: fmt.Errorf("%s has leading or trailing whitespace or an invisible character (%U)", shown, r)}
		}
	}
	return nil
}

// invisible reports whether r is whitespace (Unicode White_Space, U+00A0
// included), a control character, a format character (category Cf: the
// byte-order mark U+FEFF, the zero-width space, joiners and word joiner
// U+200B–U+200D and U+2060, the soft hyphen, bidi marks) or another code
// point Unicode says to ignore when it is not supported (variation
// selectors, the Hangul fillers): characters that cannot be seen at the end
// of a value, so no one means them there.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// SplitList splits a list setting at commas, dropping whitespace around
// items and empty items: "parquet, csv" is parquet and csv. The environment
// and flags read lists the same way.
func SplitList(s string) []string {
	return trimList(strings.Split(s, ","))
}

func trimList(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// Setting describes one configurable field: its environment variable, flag,
// help text and current value.
type Setting struct {
	Field  string // Go field path, e.g. "S3.Endpoint"
	Env    string // full environment variable name
	Flag   string // flag name without dashes; empty when env-only
	Desc   string
	Secret bool
	// RedactURL: the value is a URL whose password is masked when shown.
	RedactURL bool
	Hash      bool // part of the config hash: changes the output
	// HashUnlessDefault: a Hash setting that enters the hash only when it
	// is not at its default (the struct tag hash:"unless-default"), so that
	// adding it left the hash of every existing config as it was.
	HashUnlessDefault bool
	Default           string // the envDefault tag: the value when unset
	// Group is the purpose the setting serves (input, decoding, windows,
	// output, commit, storage, iceberg, limits, command), from the group
	// tag of the field or of a struct holding it; empty when neither has one.
	Group string
	Value reflect.Value // addressable field
}

// AtDefault reports whether the setting holds its default value.
func (s Setting) AtDefault() bool {
	if s.Default == "" {
		return s.Value.IsZero()
	}
	return s.FormatValue() == s.Default
}

// Settings lists the settings of a config struct pointer such as *Config,
// in field order. A setting is marked Hash when the part of the config
// holding it shapes the output (see Shape).
func Settings(cfg any) []Setting {
	var out []Setting
	shaperType := reflect.TypeFor[shaper]()
	var walk func(v reflect.Value, envPrefix, fieldPrefix, group string, shaping bool)
	walk = func(v reflect.Value, envPrefix, fieldPrefix, group string, shaping bool) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			inner := shaping || f.Type.Implements(shaperType)
			g := cmpOr(f.Tag.Get("group"), group)
			if p, ok := f.Tag.Lookup("envPrefix"); ok {
				walk(v.Field(i), envPrefix+p, fieldPrefix+f.Name+".", g, inner)
				continue
			}
			name, ok := f.Tag.Lookup("env")
			if !ok {
				if f.Anonymous && f.Type.Kind() == reflect.Struct {
					walk(v.Field(i), envPrefix, fieldPrefix, g, inner)
				}
				continue
			}
			out = append(out, Setting{
				Field:             fieldPrefix + f.Name,
				Env:               envPrefix + strings.Split(name, ",")[0],
				Flag:              f.Tag.Get("flag"),
				Desc:              f.Tag.Get("desc"),
				Secret:            f.Tag.Get("secret") == "true",
				RedactURL:         f.Tag.Get("secret") == "url",
				Hash:              shaping && f.Tag.Get("secret") != "true",
				HashUnlessDefault: f.Tag.Get("hash") == "unless-default",
				Default:           f.Tag.Get("envDefault"),
				Group:             g,
				Value:             v.Field(i),
			})
		}
	}
	walk(reflect.ValueOf(cfg).Elem(), EnvPrefix, "", "", false)
	return out
}

// cmpOr returns a, or b when a is empty.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// FormatValue renders a setting's value as a flag or env value would be
// written; secrets, and the password of a URL setting, are masked.
func (s Setting) FormatValue() string {
	if s.Secret {
		if s.Value.String() == "" {
			return ""
		}
		return "(set)"
	}
	if s.RedactURL {
		return redactURL(s.Value.String())
	}
	switch v := s.Value.Interface().(type) {
	case []string:
		return strings.Join(v, ",")
	case time.Duration:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

// ParseEnv fills cfg (a pointer to a config struct) from environ, applying
// the struct's defaults. List items are trimmed (see SplitList); an empty
// variable means the empty string for text settings and the default for
// the others. A bad value is reported as a *ConfigError.
func ParseEnv(cfg any, environ map[string]string) error {
	if err := checkEnvNames(environ); err != nil {
		return err
	}
	environ, err := withShape(environ)
	if err != nil {
		return err
	}
	err = env.ParseWithOptions(cfg, env.Options{Prefix: EnvPrefix, Environment: environ})
	if err == nil {
		for _, s := range Settings(cfg) {
			switch v := s.Value.Interface().(type) {
			case []string:
				s.Value.Set(reflect.ValueOf(trimList(v)))
			case string:
				// The env package reads an empty variable as unset and
				// applies the default; for text an empty value means empty,
				// as with the flag: LOGSMITH_LEVEL_FIELD="" disables.
				if raw, set := environ[s.Env]; set && raw == "" {
					s.Value.SetString("")
				}
			}
		}
	}
	// Commands whose config embeds the run's (plan, backfill) take the
	// Indexed Job's index as a run does.
	var c *Config
	switch v := cfg.(type) {
	case *Config:
		c = v
	case interface{ runConfig() *Config }:
		c = v.runConfig()
	}
	if c != nil && err == nil {
		c.CompletionIndex = -1
		if v, ok := environ["JOB_COMPLETION_INDEX"]; ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return &ConfigError{Env: "JOB_COMPLETION_INDEX", Err: fmt.Errorf("%q: want a non-negative integer", v)}
			}
			c.CompletionIndex = n
		}
	}
	if err == nil {
		return nil
	}
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		var pe env.ParseError
		if errors.As(agg.Errors[0], &pe) {
			for _, s := range Settings(cfg) {
				if s.Field == pe.Name || strings.HasSuffix(s.Field, "."+pe.Name) {
					cause := pe.Err
					if _, ok := s.Value.Interface().(time.Duration); ok {
						_, cause = ParseDuration(environ[s.Env])
					}
					return &ConfigError{Env: s.Env, Flag: s.Flag, Err: fmt.Errorf("%q: %v", environ[s.Env], cause)}
				}
			}
		}
		return &ConfigError{Env: "environment", Err: agg.Errors[0]}
	}
	return &ConfigError{Env: "environment", Err: err}
}
