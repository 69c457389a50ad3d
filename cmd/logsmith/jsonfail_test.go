package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Issue 25 item 11: a failed run with --json prints a JSON object on
// stdout too — its summary when it got that far, else the error alone —
// with the error and the exit code, whatever the failure.
func TestFailedRunPrintsJSON(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "a.log"), []byte("not json\nnor this\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no input", []string{"run", "--input", filepath.Join(dir, "missing"), "--output", filepath.Join(dir, "o1")}, 5},
		{"empty input", []string{"run", "--input", in, "--output", filepath.Join(dir, "o2")}, 5},
		{"bad input", []string{"run", "--input", bad, "--output", filepath.Join(dir, "o3")}, 3},
	} {
		stdout, stderr, code := exe(t, nil, append(tc.args, "--json")...)
		var got struct {
			Error    string `json:"error"`
			ExitCode int    `json:"exit_code"`
		}
		if code != tc.code || json.Unmarshal([]byte(stdout), &got) != nil || got.Error == "" || got.ExitCode != code {
			t.Errorf("%s: exit %d, stdout %q (%+v), stderr %s; want exit %d and a JSON object naming the error and the code", tc.name, code, stdout, got, stderr, tc.code)
		}
	}
}
