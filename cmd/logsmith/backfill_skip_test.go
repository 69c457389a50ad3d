package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/failure"
)

// A backfill skips the dates already committed unless --force. A
// --skip-committed that contradicts that — false without --force (meant
// to recompute the dates, which would silently not happen), true with it —
// is refused naming the setting, from whichever layer it comes: flag,
// environment or config file. One that agrees, or none, runs.
func TestBackfillRefusesContradictorySkipCommitted(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "500"); code != 0 {
		t.Fatal(stderr)
	}
	file := func(v bool) string {
		p := filepath.Join(t.TempDir(), "logsmith.yaml")
		if err := os.WriteFile(p, fmt.Appendf(nil, "skip-committed: %v\n", v), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, force := range []bool{false, true} {
		for _, v := range []bool{false, true} {
			refused := v != !force
			for _, layer := range []string{"flag", "environment", "file"} {
				t.Run(fmt.Sprintf("force=%v/%s=%v", force, layer, v), func(t *testing.T) {
					args := []string{"backfill", "--input", logs + "/{yyyy}/{mm}/{dd}/", "--output", filepath.Join(t.TempDir(), "out"),
						"--from", "2025-11-08", "--to", "2025-11-08", "--quiet", fmt.Sprintf("--force=%v", force)}
					var env []string
					switch layer {
					case "flag":
						args = append(args, fmt.Sprintf("--skip-committed=%v", v))
					case "environment":
						env = []string{fmt.Sprintf("LOGSMITH_SKIP_COMMITTED=%v", v)}
					case "file":
						args = append(args, "--config", file(v))
					}
					// The error names the setting as its layer spells it.
					name := "LOGSMITH_SKIP_COMMITTED"
					if layer == "file" {
						name = "key skip-committed"
					}
					_, stderr, code := exe(t, env, args...)
					switch {
					case refused && (code != failure.ExitConfig || !strings.Contains(stderr, name) || !strings.Contains(stderr, "from the "+layer)):
						t.Errorf("exit %d: %s; want exit %d naming %s from the %s", code, stderr, failure.ExitConfig, name, layer)
					case !refused && code != 0:
						t.Errorf("exit %d: %s; want it to run", code, stderr)
					}
				})
			}
		}
	}
}
