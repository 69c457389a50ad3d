package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job/settings"
)

// "logsmith help CMD" prints the same as "logsmith CMD --help", even with
// long values in the environment, and exits 0; help of an unknown command
// exits 2. (What help prints is cli's test, TestHelpFits.)
func TestHelpCommand(t *testing.T) {
	long := []string{"LOGSMITH_S3_ENDPOINT=" + strings.Repeat("minio-endpoint-", 12) + ":9000",
		"LOGSMITH_TABLE_FORMAT=hive"}
	for _, cmd := range append(append([]string{}, cli.SettingCommands...), "config") {
		out, stderr, code := exe(t, long, cmd, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd, code, stderr)
		}
		if !strings.HasPrefix(out, "Usage: logsmith ") {
			t.Errorf("%s --help printed no usage:\n%s", cmd, out)
		}
		via, _, code := exe(t, long, "help", cmd)
		if code != 0 || via != out {
			t.Errorf("help %s (exit %d) differs from %s --help", cmd, code, cmd)
		}
	}
	if _, _, code := exe(t, nil, "help", "frobnicate"); code != 2 {
		t.Errorf("help frobnicate: exit %d, want 2", code)
	}
}

// The completion scripts parse in their shells (those installed here) and
// offer every flag of every command; bash's completes a flag's prefix.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		script, stderr, code := exe(t, nil, "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, stderr)
		}
		for _, cmd := range cli.SettingCommands {
			for _, s := range settings.Settings(cli.ConfigOf(cmd)) {
				if s.Flag == "" {
					continue
				}
				if shell != "fish" && !strings.Contains(script, "--"+s.Flag) || shell == "fish" && !strings.Contains(script, "-l "+s.Flag) {
					t.Errorf("completion %s: no --%s of %s", shell, s.Flag, cmd)
				}
			}
		}
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Logf("%s not installed: its script's syntax is not checked", shell)
			continue
		}
		f := writeFile(t, "completion."+shell, script)
		if out, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", shell, err, out)
		}
	}
	script, _, _ := exe(t, nil, "completion", "bash")
	f := writeFile(t, "c.bash", script)
	for _, tc := range []struct{ words, want string }{
		{"logsmith ba", "backfill"},
		{"logsmith run --max-bad", "--max-bad-ratio"},
		{"logsmith gc --dry", "--dry-run"},
		{"logsmith run --shape clo", "cloudwatch-export cloudwatch-subscription cloudtrail"},
	} {
		cmd := exec.Command("bash", "-c", `source "$0"; COMP_WORDS=($1); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _logsmith; echo "${COMPREPLY[*]}"`, f, tc.words)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("complete %q: %q (%v), want %q", tc.words, out, err, tc.want)
		}
	}
	if _, _, code := exe(t, nil, "completion", "tcsh"); code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", code)
	}
}
