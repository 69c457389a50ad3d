package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/failure"
)

// The binary refuses a rerun of another shape with exit 2 and one line
// naming the difference; table show prints the shape, table drop removes
// the table, and the next run gives the output its new shape.
func TestTableCommands(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), eventsAt("2025-11-08", 10, 0, 60), 0o644); err != nil {
		t.Fatal(err)
	}
	run := []string{"run", "--input", in, "--output", out, "--date", "2025-11-08"}
	if _, stderr, code := exe(t, nil, run...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	_, stderr, code := exe(t, nil, append(run, "--window", "5m,1h")...)
	if code != failure.ExitConfig || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "would add [1h]") {
		t.Fatalf("another window set: exit %d: %q, want exit 2 in one line naming the table added", code, stderr)
	}
	stdout, stderr, code := exe(t, nil, "table", "show", "--output", out)
	if code != 0 || !strings.Contains(stdout, "layout root") || !strings.Contains(stdout, "5m") {
		t.Fatalf("table show: exit %d: %s %s", code, stdout, stderr)
	}
	if _, stderr, code := exe(t, nil, "table", "drop", "--output", out); code != failure.ExitConfig || !strings.Contains(stderr, "--window") {
		t.Fatalf("table drop without --window: exit %d: %s", code, stderr)
	}
	if stdout, stderr, code := exe(t, nil, "table", "drop", "--output", out, "--window", "5m"); code != 0 || !strings.Contains(stdout, "1 partitions") {
		t.Fatalf("table drop: exit %d: %s %s", code, stdout, stderr)
	}
	if _, stderr, code := exe(t, nil, append(run, "--window", "5m,1h")...); code != 0 {
		t.Fatalf("the new shape after the drop: exit %d: %s", code, stderr)
	}
	if stdout, _, _ := exe(t, nil, "table", "show", "--output", out); !strings.Contains(stdout, "layout windows") {
		t.Errorf("table show after: %s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "date=2025-11-08")); !os.IsNotExist(err) {
		t.Errorf("the root table's folder is still there: %v", err)
	}
}
