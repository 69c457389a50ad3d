package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// No silent loss, through the binary on a local output: a run whose input
// holds no event (of its date) exits 5 and writes nothing, leaving a
// committed partition byte for byte as it was; --allow-empty commits an
// empty partition instead.

// exeStdin runs the built binary like exe, with stdin as standard input.
func exeStdin(t *testing.T, stdin []byte, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdin = bytes.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// eventsAt returns n log lines, one a minute from hh:mm on date.
func eventsAt(date string, hh, mm, n int) []byte {
	var b strings.Builder
	for i := range n {
		m := hh*60 + mm + i
		fmt.Fprintf(&b, `{"timestamp":"%sT%02d:%02d:00Z","level":"INFO","latency_ms":%d}`+"\n", date, m/60, m%60, 1+i%50)
	}
	return []byte(b.String())
}

// tree returns every file under dir by relative path ("" for a missing dir).
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) && p == dir {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameTree fails unless dir holds exactly the files of before, byte for byte.
func sameTree(t *testing.T, what, dir string, before map[string][]byte) {
	t.Helper()
	after := tree(t, dir)
	for k, v := range before {
		if w, ok := after[k]; !ok {
			t.Errorf("%s: %s was removed", what, k)
		} else if !bytes.Equal(w, v) {
			t.Errorf("%s: %s changed", what, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s: wrote %s", what, k)
		}
	}
}

// partitionManifest reads a committed partition's manifest under out.
func partitionManifest(t *testing.T, out, table, date string) (m struct {
	State           string `json:"state"`
	RunID           string `json:"run_id"`
	Rows            int    `json:"rows"`
	PartitionEvents int64  `json:"partition_events"`
	Events          int64  `json:"events"`
	Supersedes      string `json:"supersedes"`
}) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, table, "date="+date, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantNoEvent checks a run refused for want of events: exit 5 and a last
// line that says so.
func wantNoEvent(t *testing.T, what, stderr string, code int, say string) {
	t.Helper()
	if code != 5 || !strings.Contains(stderr, say) || !strings.Contains(stderr, "nothing committed") {
		t.Errorf("%s: exit %d, want 5 saying %q and nothing committed:\n%s", what, code, say, stderr)
	}
}

func TestEmptyInputOverACommittedDate(t *testing.T) {
	const date = "2025-11-08"
	dir := t.TempDir()
	out := filepath.Join(dir, "features")
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, "a.jsonl"), eventsAt(date, 10, 0, 120), 0o644); err != nil {
		t.Fatal(err)
	}
	// Only events of the day before, and of the next day's first minutes
	// (which a 15-minute window sliding every 5 of the date reaches).
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "b.jsonl"), eventsAt("2025-11-07", 12, 0, 50), 0o644); err != nil {
		t.Fatal(err)
	}
	early := append(eventsAt("2025-11-07", 12, 0, 5), eventsAt("2025-11-09", 0, 0, 5)...)

	for _, windows := range [][]string{{"5m"}, {"5m", "15m/5m"}} {
		t.Run(strings.Join(windows, ","), func(t *testing.T) {
			out := filepath.Join(out, strings.NewReplacer("/", "-", ",", "_").Replace(strings.Join(windows, ",")))
			run := []string{"run", "--output", out, "--date", date, "--format", "parquet,csv", "--window", strings.Join(windows, ",")}
			if _, stderr, code := exe(t, nil, append(run, "--input", logs)...); code != 0 {
				t.Fatalf("first run: exit %d: %s", code, stderr)
			}
			before := tree(t, out)
			if len(before) != 3*len(windows)+1 { // and the output's head, _tables.json
				t.Fatalf("the first run wrote %d files: %v", len(before), before)
			}

			_, stderr, code := exeStdin(t, nil, append(run, "--input", "-")...)
			wantNoEvent(t, "empty stdin", stderr, code, "no event of "+date)
			sameTree(t, "empty stdin", out, before)

			_, stderr, code = exeStdin(t, eventsAt("2025-11-07", 12, 0, 50), append(run, "--input", "-")...)
			wantNoEvent(t, "stdin of another date", stderr, code, "no event of "+date)
			sameTree(t, "stdin of another date", out, before)

			_, stderr, code = exe(t, nil, append(run, "--input", other)...)
			wantNoEvent(t, "objects of another date", stderr, code, "no event of "+date)
			sameTree(t, "objects of another date", out, before)

			if len(windows) > 1 {
				// The sliding table of the date has events; the 5m one
				// has none, and its commit has: refused whole.
				_, stderr, code = exeStdin(t, early, append(run, "--input", "-")...)
				wantNoEvent(t, "events only in the reach of sliding windows", stderr, code, "has no event for it")
				sameTree(t, "events only in the reach of sliding windows", out, before)
			}

			// --allow-empty replaces the partition by an empty one.
			stdout, stderr, code := exeStdin(t, nil, append(run, "--input", "-", "--allow-empty", "--json")...)
			if code != 0 {
				t.Fatalf("--allow-empty: exit %d: %s", code, stderr)
			}
			var sum struct {
				RunID string `json:"run_id"`
			}
			if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
				t.Fatalf("summary %q: %v", stdout, err)
			}
			for _, w := range windows {
				table := ""
				if len(windows) > 1 {
					table = "window=" + strings.Replace(w, "/", "-every-", 1)
				}
				m := partitionManifest(t, out, table, date)
				if m.State != "committed" || m.RunID != sum.RunID || m.PartitionEvents != 0 || m.Events != 0 || m.Supersedes == "" {
					t.Errorf("%s after --allow-empty: %+v, want an empty commit by %s superseding the first run", w, m, sum.RunID)
				}
			}
		})
	}
}

func TestEmptyInputOnAFreshOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "features")

	_, stderr, code := exeStdin(t, nil, "run", "--input", "-", "--output", out)
	wantNoEvent(t, "undated empty stdin", stderr, code, "no event")
	if files := tree(t, out); len(files) != 0 {
		t.Errorf("undated empty stdin wrote %v", files)
	}
	_, stderr, code = exeStdin(t, nil, "run", "--input", "-", "--output", out, "--date", "2025-11-08")
	wantNoEvent(t, "dated empty stdin", stderr, code, "no event of 2025-11-08")
	_, stderr, code = exeStdin(t, eventsAt("2025-11-09", 1, 0, 30), "run", "--input", "-", "--output", out, "--date", "2025-11-08")
	wantNoEvent(t, "stdin of another date", stderr, code, "no event of 2025-11-08")
	if files := tree(t, out); len(files) != 0 {
		t.Errorf("runs without events wrote %v", files)
	}

	// --allow-empty commits the date, empty.
	if _, stderr, code := exeStdin(t, nil, "run", "--input", "-", "--output", out, "--date", "2025-11-08", "--allow-empty"); code != 0 {
		t.Fatalf("--allow-empty: exit %d: %s", code, stderr)
	}
	m := partitionManifest(t, out, "", "2025-11-08")
	if m.State != "committed" || m.PartitionEvents != 0 || m.Events != 0 {
		t.Errorf("--allow-empty committed %+v, want an empty commit", m)
	}
	if _, err := os.Stat(filepath.Join(out, "date=2025-11-08", "part-00000.parquet")); err != nil {
		t.Errorf("--allow-empty: %v", err)
	}
}
