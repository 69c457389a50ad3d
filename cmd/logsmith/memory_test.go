package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memory"
)

// A merge, which reads no input to estimate from, is refused before it
// starts when panes × groups at the caps would not fit the memory limit it
// sees (GOMEMLIMIT here), with one line naming the settings, before
// reading or writing anything; --memory-check=false skips the check. A run
// of the same config is checked once its input is listed, from the data
// (see memory_data_test.go): its 5 groups fit, and it runs.
func TestRefusesRunOverMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := range 200 {
		b.WriteString(`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":12,"service":"s` + string(rune('a'+i%5)) + `"}` + "\n")
	}
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	limit := []string{"GOMEMLIMIT=256MiB"}
	base := []string{"--input", in, "--output", out, "--date", "2025-11-08", "--workers", "2"}
	groupBy := append(base[:len(base):len(base)], "--group-by", "service")

	// Spilled, 24 of its 288 panes held at once × 10,000 groups × 6 KiB ≈
	// 1.4 GiB: the merge is refused.
	_, stderr, code := exe(t, limit, append([]string{"merge", "--run", "r1"}, groupBy...)...)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != failure.ExitConfig || len(lines) != 1 {
		t.Fatalf("exit %d, want 2 with one line:\n%s", code, stderr)
	}
	for _, want := range []string{"LOGSMITH_MAX_GROUPS (--max-groups)", "24 panes held at once", "10000 groups", "1.4 GiB", "256.0 MiB (GOMEMLIMIT)",
		"lower --max-groups to", "--window", "--memory-check=false"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("message lacks %q: %s", want, stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused merge created its output: %v", err)
	}
	// The check is off: the merge starts (and fails for want of shards,
	// not of memory).
	for _, env := range [][]string{limit, append(limit, "LOGSMITH_MEMORY_CHECK=false")} {
		args := append([]string{"merge", "--run", "r1"}, groupBy...)
		if len(env) == 1 {
			args = append(args, "--memory-check=false")
		}
		_, stderr, code = exe(t, env, args...)
		if code == failure.ExitConfig || strings.Contains(stderr, "memory limit") {
			t.Errorf("%v %v: exit %d: %s", env, args, code, stderr)
		}
	}

	// The runs fit: the default config without --group-by (288 panes × 1
	// group) at the caps, and --group-by from the data.
	for i, args := range [][]string{base, groupBy} {
		_, stderr, code = exe(t, limit, append([]string{"run"}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if i == 0 {
			// The runs below group by service: another shape of table,
			// which the output's head refuses; they write a new output.
			if err := os.RemoveAll(out); err != nil {
				t.Fatal(err)
			}
		}
	}
	// No limit seen (none here: no GOMEMLIMIT, and this machine's cgroup
	// has none, or the test says so): no check.
	if lim := memory.SeenLimit(os.DirFS("/")); lim.Bytes == 0 {
		_, stderr, code = exe(t, nil, append([]string{"merge", "--run", "r1"}, groupBy...)...)
		if code == failure.ExitConfig {
			t.Errorf("no limit: exit %d: %s", code, stderr)
		}
	} else {
		t.Logf("this machine has a memory limit (%+v): the no-limit case is not run", lim)
	}
}

// The memory check resolves the config as the run does: a bad setting is
// refused with the run's words, and with --json printed as the run's
// error would be, whether or not a memory limit is seen.
func TestMemoryCheckRefusesBadSettingAsRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"run", "--input", filepath.Join(dir, "in"), "--output", filepath.Join(dir, "out"), "--window", "5x", "--json"}
	for _, env := range [][]string{nil, {"GOMEMLIMIT=256MiB"}} {
		stdout, stderr, code := exe(t, env, args...)
		var got struct {
			Error    string `json:"error"`
			ExitCode int    `json:"exit_code"`
		}
		if code != failure.ExitConfig || json.Unmarshal([]byte(stdout), &got) != nil || got.ExitCode != code ||
			!strings.Contains(got.Error, "LOGSMITH_WINDOW") || !strings.Contains(stderr, "LOGSMITH_WINDOW") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming LOGSMITH_WINDOW, as JSON on stdout too", env, code, stdout, stderr)
		}
	}
}
