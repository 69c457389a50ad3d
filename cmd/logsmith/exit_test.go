package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lastLine returns the last line of stderr.
func lastLine(stderr string) string {
	s := strings.TrimSpace(stderr)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// Issue 13 item 6: a symlink in a local input fails the run with exit 3
// and one line naming it, whether it points to a file, a folder, nowhere
// or out of the input; nothing is committed.
func TestSymlinkInInputFailsTheRun(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "300"); code != 0 {
		t.Fatal(stderr)
	}
	day := filepath.Join(logs, "2025", "11", "08")
	entries, err := os.ReadDir(day)
	if err != nil || len(entries) == 0 {
		t.Fatalf("generated logs: %v %v", entries, err)
	}
	outside := filepath.Join(dir, "outside.jsonl")
	if err := os.WriteFile(outside, jsonLines(5), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, target string }{
		{"to a file", entries[0].Name()},
		{"to a folder", "."},
		{"dangling", "nowhere.jsonl"},
		{"out of the input", outside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := filepath.Join(day, "link.jsonl")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(link)
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			for _, in := range []string{logs, logs + "/{yyyy}/{mm}/{dd}/"} {
				_, stderr, code := exe(t, nil, "run", "--input", in, "--output", out, "--date", "2025-11-08")
				last := lastLine(stderr)
				if code != 3 || !strings.Contains(last, "link.jsonl") || !strings.Contains(last, "symlink") {
					t.Errorf("--input %s: exit %d, last line %q; want 3 naming the symlink", in, code, last)
				}
			}
			if _, stdout, _ := exe(t, nil, "ls", "--output", out); strings.Contains(stdout, "2025-11-08") {
				t.Errorf("a partition was committed: %s", stdout)
			}
		})
	}
	// The input folder itself may be reached through a symlink.
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink(logs, alias); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exe(t, nil, "run", "--input", alias, "--output", filepath.Join(dir, "out-alias"), "--date", "2025-11-08"); code != 0 {
		t.Errorf("input through a symlinked folder: exit %d: %s", code, stderr)
	}
}
