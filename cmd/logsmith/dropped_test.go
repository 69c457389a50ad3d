package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Following the README in order: a run with parquet and csv, then one
// without csv. The second commit deletes the CSV files (a stale CSV beside
// new Parquet would be read as the same data), and used to say nothing:
// now the summary (text and JSON) and the log list each dropped format
// and what was removed, and `files --format csv` says there are none but
// Parquet, instead of printing nothing at exit 0. Same for every table
// (window) of the run.
func TestDroppedFormatIsReported(t *testing.T) {
	dir := t.TempDir()
	logs, feats := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "500"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	run := []string{"run", "--input", logs, "--output", feats, "--date", "2025-11-08", "--window", "5m,1h"}
	if _, stderr, code := exe(t, nil, append(run, "--format", "parquet,csv")...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	csvs, _ := filepath.Glob(filepath.Join(feats, "*", "date=2025-11-08", "part-00000.csv"))
	if len(csvs) != 2 {
		t.Fatalf("first run wrote CSV files %q, want one per table", csvs)
	}
	stdout, stderr, code := exe(t, nil, append(run, "--json")...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	var sum struct {
		Dropped []struct{ Window, Date, Format, Key string } `json:"dropped_formats"`
		Removed []string                                     `json:"removed"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(sum.Dropped) != 2 {
		t.Errorf("dropped_formats = %+v, want csv of both tables", sum.Dropped)
	}
	for _, d := range sum.Dropped {
		if d.Format != "csv" || d.Date != "2025-11-08" || !strings.HasSuffix(d.Key, "date=2025-11-08/part-00000.csv") {
			t.Errorf("dropped %+v", d)
		}
	}
	for _, c := range csvs {
		if _, err := os.Stat(c); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", c, err)
		}
		rel, _ := filepath.Rel(feats, c)
		if !strings.Contains(strings.Join(sum.Removed, "\n"), filepath.ToSlash(rel)) {
			t.Errorf("removed %q lacks %s", sum.Removed, rel)
		}
	}
	if strings.Count(stderr, "the commit drops a format the partition had") != 2 {
		t.Errorf("the log does not warn of each dropped format:\n%s", stderr)
	}
	// The text summary says it too.
	if _, stderr, code := exe(t, nil, append(run, "--format", "parquet,csv")...); code != 0 {
		t.Fatalf("run writing CSV again: exit %d: %s", code, stderr)
	}
	stdout, _, _ = exe(t, nil, run...)
	if !strings.Contains(stdout, "dropped format") || !strings.Contains(stdout, "part-00000.csv deleted") {
		t.Errorf("the summary does not list the dropped format:\n%s", stdout)
	}
	stdout, stderr, code = exe(t, nil, "files", "--output", feats, "--format", "csv")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "no committed csv files") || !strings.Contains(stderr, "have parquet") {
		t.Errorf("files --format csv: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	if stdout, _, code := exe(t, nil, "files", "--output", feats); code != 0 || strings.Count(stdout, "part-00000.parquet") != 2 {
		t.Errorf("files: exit %d: %s", code, stdout)
	}
}
