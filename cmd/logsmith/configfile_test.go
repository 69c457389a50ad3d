package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A value from the file that parses but that the command refuses when it
// validates is blamed on the file and key too, through the binary; the
// same value from the environment or a flag is blamed on those.
func TestConfigFileBadValueThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, "logsmith.yaml", "input: "+dir+"/in\noutput: "+dir+"/out\nmax-bad-ratio: 5\n")
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"--config", file}, "config file " + file + ", key max-bad-ratio: 5: want 0 to 1"},
		{[]string{"LOGSMITH_CONFIG=" + file}, nil, "config file " + file + ", key max-bad-ratio: 5: want 0 to 1"},
		{[]string{"LOGSMITH_MAX_BAD_RATIO=7"}, []string{"--config", file}, "config LOGSMITH_MAX_BAD_RATIO (--max-bad-ratio): 7: want 0 to 1"},
		{nil, []string{"--config", file, "--max-bad-ratio", "9"}, "config LOGSMITH_MAX_BAD_RATIO (--max-bad-ratio): 9: want 0 to 1"},
	} {
		_, stderr, code := exe(t, tc.env, append([]string{"run"}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want exit 2 and one line %q", tc.env, tc.args, code, stderr, tc.want)
		}
	}
}

// logsmith config prints every setting's value and the layer it came from.
func TestConfigCommand(t *testing.T) {
	file := writeFile(t, "logsmith.yaml", "input: /data/in\nmax-bad-ratio: 0.05\nwindow: [5m, 1h]\ns3-secret-key: hush\n")
	stdout, stderr, code := exe(t, []string{"LOGSMITH_WINDOW=15m", "LOGSMITH_CONFIG=" + file}, "config", "--max-bad-ratio", "0.2", "--shape", "pino")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"input   /data/in",
		"max-bad-ratio   0.2",
		"flag --max-bad-ratio",
		"window   15m",
		"environment LOGSMITH_WINDOW",
		"config   " + file,
		"environment LOGSMITH_CONFIG",
		"file " + file + ": input",
		"file " + file + ": s3-secret-key",
		"latency-field   responseTime",
		"shape pino",
		"max-groups   10000",
	} {
		if !containsSpaced(stdout, want) {
			t.Errorf("logsmith config: no %q in\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "hush") {
		t.Errorf("logsmith config printed a secret:\n%s", stdout)
	}
	// As JSON, for another command's settings.
	stdout, stderr, code = exe(t, []string{"LOGSMITH_CONFIG=" + file}, "config", "gc", "--json")
	if code != 0 {
		t.Fatalf("config gc --json: exit %d: %s", code, stderr)
	}
	var lines []struct{ Key, Env, Value, From, Detail string }
	if err := json.Unmarshal([]byte(stdout), &lines); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		if l.Key == "gc-grace" && l.Value == "1h0m0s" && l.From == "default" {
			found = true
		}
		if l.Key == "input" {
			t.Errorf("gc has no input setting: %+v", l)
		}
	}
	if !found {
		t.Errorf("config gc --json: no default gc-grace in %s", stdout)
	}
}

// containsSpaced reports whether s holds want, reading each run of
// spaces in want as one or more spaces (table columns).
func containsSpaced(s, want string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.Join(strings.Fields(line), " ") != "" && strings.Contains(strings.Join(strings.Fields(line), " "), strings.Join(strings.Fields(want), " ")) {
			return true
		}
	}
	return false
}

// writeFile writes body to a file name in a fresh folder and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
