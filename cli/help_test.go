package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/logsmith/logsmith/job/settings"
)

// helpOf returns what cmd --help prints with environ.
func helpOf(t *testing.T, cmd string, environ map[string]string) string {
	t.Helper()
	var b bytes.Buffer
	if err := Parse(ConfigOf(cmd), cmd, []string{"--help"}, environ, &b); !errors.Is(err, ErrHelp) {
		t.Fatalf("%s --help: %v", cmd, err)
	}
	return b.String()
}

// block returns the lines help prints for one setting: its head line and
// the indented lines under it.
func block(help string, s settings.Setting) string {
	head := "  " + s.Env
	if s.Flag != "" {
		head = "  --" + s.Flag + " "
	}
	lines := strings.Split(help, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, head) || l == strings.TrimSpace(head) || strings.HasPrefix(l, head+"\n") || (s.Flag != "" && l == "  --"+s.Flag) {
			end := i + 1
			for end < len(lines) && strings.HasPrefix(lines[end], "      ") {
				end++
			}
			return strings.Join(lines[i:end], "\n")
		}
	}
	return ""
}

// Issue 25 item 7: help showed a value taken from the environment as the
// default. For every setting of every command, help shows the true
// default, and a value the environment sets apart from it, in the
// setting's own block; every setting is listed under a purpose.
func TestHelpShowsTrueDefaultAndEnvironment(t *testing.T) {
	for _, cmd := range SettingCommands {
		defaults := helpOf(t, cmd, map[string]string{})
		for _, s := range settings.Settings(ConfigOf(cmd)) {
			b := block(defaults, s)
			if b == "" {
				t.Errorf("%s --help: no block for %s in\n%s", cmd, s.Env, defaults)
				continue
			}
			if s.Default != "" && !s.Secret && !strings.Contains(b, "default: ") {
				t.Errorf("%s --help: %s shows no default:\n%s", cmd, s.Env, b)
			}
			vals, ok := layerValues(s)
			if !ok {
				continue
			}
			env := vals[1]
			if s.Secret {
				env = "hunter2-distinctive"
			}
			if s.Env == "LOGSMITH_CONFIG" {
				continue
			}
			b = block(helpOf(t, cmd, map[string]string{s.Env: env}), s)
			fresh := ConfigOf(cmd)
			if err := Parse(fresh, cmd, nil, map[string]string{}, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			var def string
			for _, f := range settings.Settings(fresh) {
				if f.Env == s.Env {
					def = f.FormatValue()
				}
			}
			if def != "" && !s.Secret && !strings.Contains(b, "default: "+def) {
				t.Errorf("%s --help with %s=%s: the default %q is not shown:\n%s", cmd, s.Env, env, def, b)
			}
			if !strings.Contains(b, "set in the environment") {
				t.Errorf("%s --help with %s=%s: the environment's value is not shown:\n%s", cmd, s.Env, env, b)
			}
			if s.Secret && strings.Contains(b, env) {
				t.Errorf("%s --help shows the secret %s:\n%s", cmd, s.Env, b)
			}
		}
	}
}

// Every command's help fits 100 columns, even with long values in the
// environment, has examples and lists the purposes. (That "logsmith help
// CMD" prints the same is the binary's test, in cmd/logsmith.)
func TestHelpFits(t *testing.T) {
	long := map[string]string{"LOGSMITH_S3_ENDPOINT": strings.Repeat("minio-endpoint-", 12) + ":9000",
		"LOGSMITH_TABLE_FORMAT": "hive"}
	for _, cmd := range append(append([]string{}, SettingCommands...), "config") {
		var out string
		if cmd == "config" {
			var b bytes.Buffer
			if err := PrintConfig([]string{"--help"}, long, &b); !errors.Is(err, ErrHelp) {
				t.Fatalf("config --help: %v", err)
			}
			out = b.String()
		} else {
			out = helpOf(t, cmd, long)
		}
		for i, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > helpWidth {
				t.Errorf("%s --help line %d is %d wide: %q", cmd, i+1, n, l)
			}
		}
		if ex := strings.SplitN(out, "Examples:\n", 2); len(ex) != 2 || !strings.HasPrefix(ex[1], "  logsmith "+cmd) {
			t.Errorf("%s --help: no examples:\n%s", cmd, out)
		}
	}
	out := helpOf(t, "run", nil)
	for _, g := range groups[1:] {
		if !strings.Contains(out, "\n"+g.title+":\n") {
			t.Errorf("run --help: no group %q", g.title)
		}
	}
}
