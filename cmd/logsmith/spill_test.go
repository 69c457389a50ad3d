package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// manyGroups writes objects of lines JSON lines each, one stretch of
// 2025-11-08 per object, in groups e of up to groups values: a day whose
// aggregate is several times the Go runtime's own memory.
func manyGroups(t *testing.T, dir string, objects, lines, groups int) {
	t.Helper()
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	span := 24 * time.Hour / time.Duration(objects)
	for o := range objects {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("obj-%03d.jsonl", o)))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriter(f)
		r := rand.New(rand.NewPCG(uint64(o), 1))
		for i := range lines {
			ts := day.Add(span*time.Duration(o) + span*time.Duration(i)/time.Duration(lines))
			fmt.Fprintf(w, `{"timestamp":"%s","level":"INFO","latency_ms":%d,"e":"k%d"}`+"\n", ts.Format(time.RFC3339Nano), 1+r.IntN(500), r.IntN(groups))
		}
		if err := errors.Join(w.Flush(), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
}

// spillRun runs logsmith with env and returns its summary, exit code and
// peak RSS (the child's rusage).
func spillRun(t *testing.T, env []string, args ...string) (sum map[string]any, code int, peakKiB int64, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		peakKiB = ru.Maxrss
	}
	if code == 0 {
		if err := json.Unmarshal(o.Bytes(), &sum); err != nil {
			t.Fatalf("summary: %v\n%s", err, o.String())
		}
	}
	return sum, code, peakKiB, e.String()
}

// dataFiles are the part files under out, by path.
func dataFiles(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
			return err
		}
		data, err := os.ReadFile(path)
		files[strings.TrimPrefix(path, out)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Under a GOMEMLIMIT below what the run's aggregate needs, a run of a day
// of 30,000 groups spills it to --spill-dir, finishes (the memory check
// does not refuse it) and writes byte-identical files to a run without a
// limit; the spill folder is empty afterwards. Peak RSS is logged, not
// asserted: scripts/scalebench.sh reports it.
func TestSpillUnderMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 25 MB of input and runs logsmith twice over it")
	}
	in, spillDir := t.TempDir(), t.TempDir()
	manyGroups(t, in, 12, 25000, 30000)
	args := func(out string) []string {
		return []string{"run", "--input", in, "--output", out, "--date", "2025-11-08", "--group-by", "e", "--sparse", "--workers", "2", "--json", "--quiet"}
	}
	free, bounded := filepath.Join(t.TempDir(), "free"), filepath.Join(t.TempDir(), "bounded")
	sum, code, freePeak, stderr := spillRun(t, nil, args(free)...)
	if code != 0 {
		t.Fatalf("without a limit: exit %d: %s", code, stderr)
	}
	if sum["spill"] != nil {
		t.Fatalf("without a limit the run spilled: %v", sum["spill"])
	}
	sum, code, boundedPeak, stderr := spillRun(t, []string{"GOMEMLIMIT=160MiB", "LOGSMITH_SPILL_DIR=" + spillDir}, args(bounded)...)
	if code != 0 {
		t.Fatalf("under GOMEMLIMIT=160MiB: exit %d: %s", code, stderr)
	}
	st, _ := sum["spill"].(map[string]any)
	if st == nil || st["spills"].(float64) < 1 || !strings.HasPrefix(st["dir"].(string), spillDir) {
		t.Fatalf("under GOMEMLIMIT=160MiB the run did not spill to %s: %v", spillDir, sum["spill"])
	}
	t.Logf("peak RSS without a limit %d MiB, under GOMEMLIMIT=160MiB %d MiB (%v spills, %v bytes)",
		freePeak>>10, boundedPeak>>10, st["spills"], st["bytes"])
	want, got := dataFiles(t, free), dataFiles(t, bounded)
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%d files spilled, %d without a limit", len(got), len(want))
	}
	for k, w := range want {
		if !bytes.Equal(got[k], w) {
			t.Errorf("%s differs from the run without a limit", k)
		}
	}
	if left, _ := os.ReadDir(spillDir); len(left) != 0 {
		t.Errorf("the spill folder holds %d entries after the run", len(left))
	}
}
