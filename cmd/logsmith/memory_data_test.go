package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

// writeGrouped writes lines events of 2025-11-08 into objects objects, each
// covering its own stretch of the day (as hourly files do), with a "user"
// drawn uniformly (seeded) from k values; gzipped when gz.
func writeGrouped(t *testing.T, dir string, objects, lines, k int, gz bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(uint64(k), uint64(lines)))
	per := lines / objects
	for o := range objects {
		var b bytes.Buffer
		for i := range per {
			// Seconds of the day, in order within the object's stretch.
			s := (o*per + i) * 86400 / lines
			fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","latency_ms":%d,"user":"u%d"}`+"\n",
				s/3600, s/60%60, s%60, r.IntN(500), r.IntN(k))
		}
		name := filepath.Join(dir, fmt.Sprintf("part-%02d.jsonl", o))
		data := b.Bytes()
		if gz {
			var z bytes.Buffer
			w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			name, data = name+".gz", z.Bytes()
		}
		write(t, name, data)
	}
}

// capsEstimate is the memory estimate at the caps of `logsmith CMD args`
// (memcheck.Estimate), dated when date is not empty.
func capsEstimate(t *testing.T, cmd string, args []string, date string) memory.Estimate {
	t.Helper()
	var cfg settings.BackfillConfig
	var dst any = &cfg.Config
	if cmd == "backfill" {
		dst = &cfg
	}
	if err := cli.Parse(dst, cmd, args, map[string]string{}, io.Discard); err != nil {
		t.Fatal(err)
	}
	// Resolved a day after date, as a nightly run would; undated, on a
	// day of no template.
	now := time.Date(2025, 11, 9, 3, 0, 0, 0, time.UTC)
	run := cfg.Config
	switch {
	case cmd == "backfill":
		run = cfg.DateConfig(date) // one date's run, as the backfill makes it
	case date != "":
		run.Date = date
	}
	res, err := run.Resolve(now)
	if err != nil {
		t.Fatal(err)
	}
	if date == "" && res.Date != "" {
		t.Fatalf("undated estimate resolved to date %s", res.Date)
	}
	return memcheck.Estimate(&run, res)
}

// planMemory is the memory estimate `logsmith plan --json` prints for
// run args.
func planMemory(t *testing.T, args []string) memory.Estimate {
	t.Helper()
	stdout, stderr, code := exe(t, nil, append([]string{"plan", "--json", "--log-level", "error"}, args...)...)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	var p job.Plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan: %v: %s", err, stdout)
	}
	return p.Memory
}

// The class "a run that fits is never refused": runs whose input fills
// far fewer cells than the caps allow (grouped or not, dated or not, 1- and
// 5-minute windows, a large --max-groups, a backfill) under a memory limit
// below their estimate at the caps, and above their estimate from the data
// (plan's, for a dated run; for an undated one, which plan refuses, the
// fixed costs plus 64 MiB: its 30,000 cells and a dense table of 2,000
// groups in 288 windows take ~40 MiB). Each
// run is checked once its input is listed, and proceeds.
func TestMemoryCheckPassesRunsThatFit(t *testing.T) {
	dir := t.TempDir()
	day := filepath.Join(dir, "in", "2025-11-08")
	writeGrouped(t, day, 4, 20000, 2000, false)
	tmpl := filepath.Join(dir, "in", "{date}")
	for _, tc := range []struct {
		name  string
		cmd   string
		args  []string
		dated bool
	}{
		{"grouped, dated, 5m, --max-groups 100000", "run", []string{"--input", day, "--date", "2025-11-08", "--group-by", "user", "--max-groups", "100000"}, true},
		{"grouped, dated, 1m, sparse", "run", []string{"--input", day, "--date", "2025-11-08", "--group-by", "user", "--window", "1m", "--sparse"}, true},
		{"grouped, dated by template, 1m,15m/5m", "run", []string{"--input", tmpl, "--date", "2025-11-08", "--group-by", "user", "--window", "1m,15m/5m"}, true},
		{"ungrouped, dated, 1m", "run", []string{"--input", day, "--date", "2025-11-08", "--window", "1m"}, true},
		{"grouped, undated, 5m", "run", []string{"--input", day, "--group-by", "user"}, false},
		{"ungrouped, undated, 1m", "run", []string{"--input", day, "--window", "1m"}, false},
		{"backfill, grouped, --parallel 2", "backfill", []string{"--input", tmpl, "--from", "2025-11-08", "--to", "2025-11-08", "--group-by", "user", "--parallel", "2"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--output", filepath.Join(t.TempDir(), "out"), "--workers", "2", "--gc-grace", "0s"}, tc.args...)
			parallel := int64(1)
			if tc.cmd == "backfill" {
				parallel = 2
			}
			caps := capsEstimate(t, tc.cmd, args, "2025-11-08")
			if !tc.dated {
				caps = capsEstimate(t, tc.cmd, args, "")
			}
			capsTotal := caps.Total * parallel
			limit := (caps.Fixed + 64<<20) * parallel
			if tc.dated {
				planArgs := args
				if tc.cmd == "backfill" {
					planArgs = []string{"--output", args[1], "--workers", "2", "--input", tmpl, "--date", "2025-11-08", "--group-by", "user"}
				}
				data := planMemory(t, planArgs)
				if data.Basis != "sampled" {
					t.Fatalf("plan's estimate is %q, not from the data: %+v", data.Basis, data)
				}
				limit = (data.Total + (caps.Total-data.Total)/4) * parallel
			}
			if limit >= capsTotal {
				t.Fatalf("the case is too small: limit %d is not below the caps' estimate %d", limit, capsTotal)
			}
			_, stderr, code := exe(t, []string{"GOMEMLIMIT=" + strconv.FormatInt(limit, 10)}, append([]string{tc.cmd}, args...)...)
			if code != 0 {
				t.Errorf("exit %d under GOMEMLIMIT=%d (caps %d): %s", code, limit, capsTotal, stderr)
			}
		})
	}
}

// The estimate from the data bounds the peak and is within 2× of it: runs
// of a quarter-million lines with 1,000 and 100,000 groups per day (100 to
// 830 per 5-minute window) and without groups are measured (ru_maxrss of
// the child, no GOMEMLIMIT: the collector's garbage counts too); plan's
// estimate for each must be at least the peak and at most twice it. No
// timing is measured.
func TestMemoryEstimateFollowsPeak(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~20 MB of input and runs three measured runs")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		k    int
		args []string
	}{
		{"100,000 groups", 100000, []string{"--group-by", "user", "--max-groups", "100000", "--sparse"}},
		{"1,000 groups, dense", 1000, []string{"--group-by", "user"}},
		{"ungrouped", 1000, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, strconv.Itoa(tc.k))
			if _, err := os.Stat(in); err != nil {
				writeGrouped(t, in, 8, 240000, tc.k, false)
			}
			args := append([]string{"--input", in, "--output", filepath.Join(t.TempDir(), "out"), "--date", "2025-11-08", "--workers", "2"}, tc.args...)
			e := planMemory(t, args)
			code, stderr, peak := peakRSS(t, nil, append([]string{"run", "--memory-check=false", "--log-level", "error"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			t.Logf("estimate %.1f MiB (%s), peak %.1f MiB, ratio %.2f; %+v", float64(e.Total)/(1<<20), e.Basis, float64(peak)/(1<<20),
				float64(e.Total)/float64(peak), e.Data)
			if e.Total < peak {
				t.Errorf("estimate %d is below the peak %d", e.Total, peak)
			}
			if e.Total > 2*peak {
				t.Errorf("estimate %d is over twice the peak %d", e.Total, peak)
			}
		})
	}
}

// A run whose input truly cannot fit is still refused once listed, with
// exit 2 and one line naming the setting and what to change, before it
// reads more of its input than the samples or writes anything: a million events of as many users
// (a million cells of ~200 bytes live at the least) under a 256 MiB limit.
// A backfill of it is refused the same way.
func TestMemoryCheckRefusesRunThatCannotFit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes ~10 MB of gzip input")
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in", "2025-11-08"), filepath.Join(dir, "out")
	writeGrouped(t, in, 4, 1_000_000, 100_000_000, true)
	limit := []string{"GOMEMLIMIT=256MiB"}
	args := []string{"--output", out, "--group-by", "user", "--max-groups", "100000", "--workers", "2"}
	_, stderr, code := exe(t, limit, append([]string{"run", "--input", in, "--date", "2025-11-08"}, args...)...)
	// The log says the run started (it listed its input); the error is
	// one line.
	var errs []string
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.HasPrefix(l, "logsmith:") {
			errs = append(errs, l)
		}
	}
	if code != failure.ExitConfig || len(errs) != 1 {
		t.Fatalf("exit %d, want 2 with one line of error:\n%s", code, stderr)
	}
	for _, want := range []string{"LOGSMITH_MAX_GROUPS (--max-groups)", "sampled", "256.0 MiB (GOMEMLIMIT)", "lower --max-groups", "--memory-check=false"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("message lacks %q: %s", want, stderr)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("the refused run wrote to its output: %v", entries)
	}
	tmpl := filepath.Join(dir, "in", "{date}")
	_, stderr, code = exe(t, limit, append([]string{"backfill", "--input", tmpl, "--from", "2025-11-08", "--to", "2025-11-08", "--parallel", "2"}, args...)...)
	if code != failure.ExitConfig || !strings.Contains(stderr, "2 dates at once (--parallel)") {
		t.Errorf("backfill: exit %d: %s", code, stderr)
	}
}
