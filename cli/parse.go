package cli

import (
	"encoding"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logsmith/logsmith/job/settings"
)

// ErrHelp is returned after --help printed the settings; it exits 0.
var ErrHelp = flag.ErrHelp

// Parse fills cfg from its layers, the first that sets a setting
// winning: flags, the environment, the config file (--config or
// LOGSMITH_CONFIG), the shape's preset (--shape), the default. It refuses
// values with stray whitespace; the command validates the rest, so a bad
// setting is reported before any I/O. Every error names the setting.
// Given --help, it prints cmd's help on stdout and returns ErrHelp.
func Parse(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	_, err := ParseLayers(cfg, cmd, args, env, stdout)
	return err
}

// Origin says which layer a setting's value came from.
type Origin struct {
	Layer  string `json:"from"`             // flag, environment, file, shape or default
	Detail string `json:"detail,omitempty"` // the flag, variable, file and key, or shape
}

// ParseLayers is Parse, returning the origin of every setting's
// value by environment variable.
//
// The file and a shape fill the settings that neither the environment nor
// a flag gives, so --config and --shape are found first: the flags are
// parsed once to read them, then everything again with the environment
// the file and shape fill in.
func ParseLayers(cfg any, cmd string, args []string, env map[string]string, stdout io.Writer) (map[string]Origin, error) {
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
	origins := map[string]Origin{}
	preset := settings.ShapeNamed(layered[settings.EnvPrefix+"SHAPE"])
	for _, s := range settings.Settings(cfg) {
		o := Origin{Layer: "default"}
		if _, ok := given[s.Flag]; ok && s.Flag != "" {
			o = Origin{"flag", "--" + s.Flag}
		} else if _, ok := env[s.Env]; ok {
			o = Origin{"environment", s.Env}
		} else if key, ok := file.KeyOf(s.Env); ok {
			o = Origin{"file", file.Path + ": " + key}
		} else if preset != nil && slices.ContainsFunc(preset.Settings, func(kv [2]string) bool { return settings.EnvPrefix+kv[0] == s.Env }) {
			o = Origin{"shape", preset.Name}
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
			return nil, ErrHelp
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

// BlameLater names the config file and key of a bad setting that a
// command's validation reports, after parsing, when its value came from
// the file: the setting is neither in the environment nor a flag.
func BlameLater(err error, args []string, env map[string]string) error {
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
