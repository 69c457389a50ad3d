package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// What a run skipped, and the events of a neighbouring date its input
// held, are in the text summary, the --json summary and the log.
func TestSummaryNamesSkippedObjectsAndNeighbours(t *testing.T) {
	dir := t.TempDir()
	logs, feats := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	// A daily layout by arrival: 2025-11-08's last events arrived on the
	// 9th, beside a Spark _SUCCESS.
	files := map[string]string{
		"2025/11/09/part-0.jsonl": `{"timestamp":"2025-11-08T23:59:58Z","latency_ms":3}` + "\n" +
			`{"timestamp":"2025-11-08T23:59:59Z","latency_ms":4}` + "\n" + `{"timestamp":"2025-11-09T10:00:00Z","latency_ms":5}` + "\n",
		"2025/11/09/_SUCCESS":         "",
		"2025/11/09/.part-0.crc":      "crc",
		"2025/11/09/part-0.jsonl.crc": "crc",
	}
	for name, body := range files {
		p := filepath.Join(logs, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run", "--input", logs + "/{yyyy}/{mm}/{dd}/", "--date", "2025-11-09", "--level-field", ""}
	stdout, stderr, code := exe(t, nil, append(slices.Clip(args), "--output", feats)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"(skipped, not read: checksum 1, hidden 2)", "2 (2 in objects its run does not list)",
		"2 events of 2025-11-08 are in input objects the run of 2025-11-08 does not list"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the text summary lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{`"msg":"input objects skipped","reason":"hidden","objects":2`, `"msg":"events of a neighbouring date not written","date":"2025-11-08","events":2`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the log lacks %q:\n%s", want, stderr)
		}
	}
	stdout, stderr, code = exe(t, nil, append(slices.Clip(args), "--json", "--output", feats+"-json")...)
	var sum struct {
		Skipped    map[string]int64 `json:"skipped_objects"`
		Neighbours []struct {
			Date      string `json:"date"`
			Events    int64  `json:"events"`
			NotListed *int64 `json:"not_listed_by_its_run"`
		} `json:"neighbour_dates"`
		Warnings []string `json:"warnings"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &sum) != nil {
		t.Fatalf("--json: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if sum.Skipped["hidden"] != 2 || sum.Skipped["checksum"] != 1 || len(sum.Neighbours) != 1 || sum.Neighbours[0].Date != "2025-11-08" ||
		sum.Neighbours[0].Events != 2 || sum.Neighbours[0].NotListed == nil || *sum.Neighbours[0].NotListed != 2 || len(sum.Warnings) != 1 {
		t.Errorf("--json summary: %+v\n%s", sum, stdout)
	}
}
