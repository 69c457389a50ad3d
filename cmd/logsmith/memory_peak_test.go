package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/settings"
)

// peakRSS runs the built binary with env and args and returns its exit
// code, stderr and peak resident set. The kernel carries a process's peak
// across execve, and os/exec starts children sharing the test process's
// memory until they exec, so a child of this (large) process reports at
// least its peak: the binary is started by a small helper process
// (testdata/rsshelper, built without -race: the test binary itself, even
// re-run as a helper, is large under -race), which reports its child's
// ru_maxrss.
func peakRSS(t *testing.T, env []string, args ...string) (code int, stderr string, peak int64) {
	t.Helper()
	stdout, stderr, code := runProgram(t, env, buildRSSHelper(t), append([]string{binary}, args...)...)
	if _, err := fmt.Sscanf(stdout, "maxrss %d", &peak); err != nil {
		t.Fatalf("helper: %q, %v: %s", stdout, err, stderr)
	}
	return code, stderr, peak
}

var rssHelperOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(filepath.Dir(binary), "rsshelper")
	build := exec.Command("go", "build", "-o", bin, "./testdata/rsshelper")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the RSS helper: %v: %s", err, out)
	}
	return bin, nil
})

// buildRSSHelper builds testdata/rsshelper once (see its doc) and returns
// its path.
func buildRSSHelper(t *testing.T) string {
	t.Helper()
	bin, err := rssHelperOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// A run that passes --memory-check stays within the limit it was checked
// against, give or take 10 %: the estimate counts what the run holds at the
// caps. Each case fills a cap the model once left out — group-by values at
// --max-dimension-bytes in every group of every pane, zstd frames declaring
// large windows on every worker — and runs with GOMEMLIMIT set to the
// smallest limit the check passes (the estimate itself). The peak is the
// child's ru_maxrss; no timing is measured.
func TestMemoryCheckBoundsPeak(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~100 MB of input")
	}
	for _, tc := range []struct {
		name  string
		args  []string
		write func(t *testing.T, dir string)
	}{
		{
			name: "long group-by values",
			args: []string{"--window", "1h", "--group-by", "path", "--max-groups", "3000", "--workers", "2"},
			write: func(t *testing.T, dir string) {
				// Every one of 3,000 groups, each a 1,024-byte value, in each
				// of the day's 24 panes: one object per hour.
				for h := range 24 {
					var b bytes.Buffer
					for g := range 3000 {
						v := fmt.Sprintf("/%04d/", g) + strings.Repeat("p", 1024-6)
						fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:00Z","level":"INFO","latency_ms":%d,"path":"%s"}`+"\n", h, g%60, g%97, v)
					}
					write(t, filepath.Join(dir, fmt.Sprintf("h%02d.jsonl", h)), b.Bytes())
				}
			},
		},
		{
			name: "zstd frames with large windows",
			args: []string{"--workers", "4", "--max-bad-ratio", "1"},
			write: func(t *testing.T, dir string) {
				// A frame that declares a 64 MiB window and holds 48 MB, on
				// each of 4 workers at once.
				var b bytes.Buffer
				for i := range 600_000 {
					fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","latency_ms":%d}`+"\n", i%24, i%60, i%59, i%97)
				}
				enc, err := zstd.NewWriter(nil, zstd.WithWindowSize(64<<20), zstd.WithSingleSegment(false), zstd.WithEncoderLevel(zstd.SpeedFastest))
				if err != nil {
					t.Fatal(err)
				}
				z := enc.EncodeAll(b.Bytes(), nil)
				for k := range 4 {
					write(t, filepath.Join(dir, fmt.Sprintf("z%d.jsonl.zst", k)), z)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
			if err := os.MkdirAll(in, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.write(t, in)
			args := append([]string{"--input", in, "--output", out, "--date", "2025-11-08", "--format", "csv"}, tc.args...)
			limit := estimate(t, args)
			code, stderr, peak := peakRSS(t, []string{"GOMEMLIMIT=" + strconv.FormatInt(limit, 10)}, append([]string{"run"}, args...)...)
			if code == failure.ExitConfig {
				t.Fatalf("the check refused the run at its own estimate %d: %s", limit, stderr)
			}
			t.Logf("exit %d, peak %.1f MiB, limit (the estimate) %.1f MiB", code, float64(peak)/(1<<20), float64(limit)/(1<<20))
			if peak > limit+limit/10 {
				t.Errorf("peak RSS %.1f MiB is over the limit %.1f MiB + 10 %%", float64(peak)/(1<<20), float64(limit)/(1<<20))
			}
		})
	}
}

// estimate is the memory estimate of `logsmith run args` (its total bytes).
func estimate(t *testing.T, args []string) int64 {
	t.Helper()
	var cfg settings.Config
	if err := cli.Parse(&cfg, "run", args, map[string]string{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg.Date = "2025-11-08"
	res, err := cfg.Resolve(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return memcheck.Estimate(&cfg, res).Total
}

func write(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
