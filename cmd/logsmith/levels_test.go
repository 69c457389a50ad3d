package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Unknown levels are printed in the text summary and the --json one, and
// --strict-fields makes them exit 3; --level-map names them.
func TestUnknownLevelsPrinted(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "pino.log")
	lines := `{"time":1762596000000,"level":30,"rt":"0.005s"}` + "\n" +
		`{"time":1762596001000,"level":50,"rt":"-"}` + "\n" +
		`{"time":1762596002000,"level":30,"rt":"0.001, 0.002"}` + "\n"
	if err := os.WriteFile(in, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(out string, more ...string) []string {
		return append([]string{"run", "--input", in, "--output", filepath.Join(dir, out), "--timestamp-field", "time",
			"--latency-field", "rt", "--latency-unit", "s", "--format", "csv"}, more...)
	}
	stdout, stderr, code := exe(t, nil, args("text")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^unknown levels +3 in "level" \(counted as non-errors\): "30" 2, "50" 1$`,
		`(?m)^warning +--level-field "level" had 3 values that are not known levels \(most frequent: "30" 2, "50" 1\); set --level-map$`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("summary does not match %s:\n%s", want, stdout)
		}
	}

	stdout, stderr, code = exe(t, nil, args("json", "--json")...)
	var sum struct {
		UnknownLevels struct {
			Events int64 `json:"events"`
			Values []struct {
				Value string `json:"value"`
				Count int64  `json:"count"`
			} `json:"values"`
			AllValues bool `json:"all_values"`
		} `json:"unknown_levels"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	if u := sum.UnknownLevels; u.Events != 3 || !u.AllValues || len(u.Values) != 2 || u.Values[0].Value != "30" || u.Values[0].Count != 2 {
		t.Errorf("--json unknown_levels %+v", u)
	}

	_, stderr, code = exe(t, nil, args("strict", "--strict-fields")...)
	if code != 3 || !strings.Contains(stderr, `had 3 values that are not known levels (most frequent: "30" 2, "50" 1) (--strict-fields); set --level-map; nothing committed`) {
		t.Errorf("--strict-fields: exit %d, %s", code, stderr)
	}
	stdout, stderr, code = exe(t, nil, args("mapped", "--strict-fields", "--level-map", "10-30=info,40=warn,50-60=error")...)
	if code != 0 || strings.Contains(stdout, "unknown levels") {
		t.Errorf("--level-map: exit %d: %s %s", code, stdout, stderr)
	}
	_, stderr, code = exe(t, nil, args("bad", "--level-map", "50=fatal")...)
	if code != 2 || !strings.Contains(stderr, "level-map") {
		t.Errorf("a bad --level-map: exit %d, %s", code, stderr)
	}
}
