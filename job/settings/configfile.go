package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// FileSettings name the config file the other settings may come from.
type FileSettings struct {
	ConfigFile string `env:"CONFIG" flag:"config" desc:"YAML file of settings, keyed by flag name (e.g. max-bad-ratio: 0.05); a flag or an environment variable overrides it (docs/configuration.md, Config file)"`
}

// Key returns the setting's key in a config file: its flag name or, for a
// setting without a flag, its variable without LOGSMITH_ in lower case
// with dashes (s3-access-key).
func (s Setting) Key() string {
	if s.Flag != "" {
		return s.Flag
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.Env, EnvPrefix)), "_", "-")
}

// fileKeys maps the key of every command's settings to its variable. A
// key no command reads is unknown, as a LOGSMITH_ variable is (one file
// may serve run and gc).
var fileKeys = sync.OnceValue(func() map[string]fileKey {
	keys := map[string]fileKey{}
	for _, c := range commandConfigs() {
		for _, s := range Settings(c) {
			_, list := s.Value.Interface().([]string)
			k := keys[s.Key()]
			if !slices.Contains(k.envs, s.Env) {
				k.envs = append(k.envs, s.Env)
			}
			k.list = k.list || list
			keys[s.Key()] = k
		}
	}
	// The file cannot name another file.
	delete(keys, (&Setting{Env: EnvPrefix + "CONFIG", Flag: "config"}).Key())
	return keys
})

// fileKey is what a config file's key stands for: the variables of the
// settings of that name, one per command that names it differently
// (generate's --lines is LOGSMITH_LINES, peek's LOGSMITH_PEEK_LINES); each
// command reads its own.
type fileKey struct {
	envs []string
	list bool // a list setting in some command
}

// FileKeys lists the keys a config file may hold, sorted.
func FileKeys() []string { return slices.Sorted(maps.Keys(fileKeys())) }

// ConfigFile is a config file's settings, as the environment variables
// they stand for.
type ConfigFile struct {
	Path string
	// Values holds each setting the file gives, by environment variable,
	// written as the variable would be (a list comma-separated).
	Values map[string]string
	// Keys holds the key each variable of Values was given by.
	Keys map[string]string
}

// ReadConfigFile reads a YAML config file: one mapping of setting keys
// (see Setting.Key) to values. A value is a scalar written as its
// environment variable would be, or, for a list setting, a YAML list or a
// comma-separated string; a null value is the empty string. An unknown key,
// a key given twice, a nested mapping or a file that is not one mapping is
// a *ConfigError naming the file and the key.
func ReadConfigFile(path string) (*ConfigFile, error) {
	bad := func(key string, err error) error { return &ConfigError{File: path, Key: key, Err: err} }
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Env: EnvPrefix + "CONFIG", Flag: "config", Err: err}
	}
	f := &ConfigFile{Path: path, Values: map[string]string{}, Keys: map[string]string{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, errEOF) {
			return f, nil // an empty file sets nothing
		}
		return nil, bad("", fmt.Errorf("not YAML: %v", err))
	}
	var rest yaml.Node
	if err := dec.Decode(&rest); !errors.Is(err, errEOF) {
		return nil, bad("", errors.New("holds several YAML documents: want one mapping of settings"))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return f, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, bad("", fmt.Errorf("line %d: want a mapping of setting keys to values (max-bad-ratio: 0.05)", root.Line))
	}
	keys := fileKeys()
	known := FileKeys()
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		fk, ok := keys[key]
		if !ok {
			return nil, bad(key, fmt.Errorf("line %d: not a setting of any command%s", k.Line, nearestKey(key, known)))
		}
		for _, name := range fk.envs {
			if prev, dup := f.Keys[name]; dup {
				return nil, bad(key, fmt.Errorf("line %d: given twice (also as %s)", k.Line, prev))
			}
		}
		if v.Kind == yaml.SequenceNode && !fk.list {
			return nil, bad(key, fmt.Errorf("line %d: a list, but the setting takes one value", v.Line))
		}
		val, err := scalarOrList(v)
		if err != nil {
			return nil, bad(key, fmt.Errorf("line %d: %v", v.Line, err))
		}
		for _, name := range fk.envs {
			f.Values[name], f.Keys[name] = val, key
		}
	}
	return f, nil
}

// errEOF is the end of a YAML stream.
var errEOF = io.EOF

// scalarOrList renders a value node as an environment variable's text.
func scalarOrList(v *yaml.Node) (string, error) {
	switch v.Kind {
	case yaml.AliasNode:
		return scalarOrList(v.Alias)
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", nil
		}
		return v.Value, nil
	case yaml.SequenceNode:
		items := make([]string, 0, len(v.Content))
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode {
				return "", errors.New("a list item is not a single value")
			}
			if strings.Contains(it.Value, ",") {
				return "", fmt.Errorf("list item %q holds a comma: give each item as its own list item", it.Value)
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("want a value or a list of values, not a mapping")
}

// KeyOf returns the key the file gives the variable name by; a nil file
// gives none.
func (f *ConfigFile) KeyOf(name string) (string, bool) {
	if f == nil {
		return "", false
	}
	k, ok := f.Keys[name]
	return k, ok
}

// Under returns environ with the file's settings added under it: a
// variable environ sets keeps its value.
func (f *ConfigFile) Under(environ map[string]string) map[string]string {
	out := maps.Clone(f.Values)
	maps.Copy(out, environ)
	return out
}

// nearestKey returns "; did you mean K?" for the key of known closest to
// key, or "".
func nearestKey(key string, known []string) string {
	upper := make([]string, len(known))
	for i, k := range known {
		upper[i] = strings.ToUpper(k)
	}
	s := nearest(key, upper)
	if s == "" {
		return ""
	}
	return strings.ToLower(s)
}

// Blame names the config file and key of a bad setting whose value came
// from the file rather than the environment or a flag: err is returned as
// it is when it is no *ConfigError, already names a file, or names a
// setting the file does not set, or when f is nil.
func (f *ConfigFile) Blame(err error) error {
	var ce *ConfigError
	if f == nil || !errors.As(err, &ce) || ce.File != "" {
		return err
	}
	if key, ok := f.KeyOf(ce.Env); ok {
		return &ConfigError{Env: ce.Env, Flag: ce.Flag, File: f.Path, Key: key, Err: ce.Err}
	}
	return err
}
