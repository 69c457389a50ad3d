package job_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readEnvFile reads KEY=VALUE lines, ignoring blank lines and # comments.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

// TestFixtureGoldens runs each real-format fixture under testdata/fixtures
// with its config.env and compares every committed table with golden.txt.
func TestFixtureGoldens(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/fixtures/*")
	if err != nil || len(dirs) < 3 {
		t.Fatalf("fixtures: %v %v", dirs, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			env := readEnvFile(t, filepath.Join(dir, "config.env"))
			env["LOGSMITH_INPUT"] = filepath.Join(dir, "input.jsonl")
			out := t.TempDir()
			env["LOGSMITH_OUTPUT"] = out
			env["LOGSMITH_FORMAT"] = "csv"
			var cfg settings.Config
			if err := settings.ParseEnv(&cfg, env); err != nil {
				t.Fatal(err)
			}
			sum, err := job.Run(context.Background(), cfg, job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			fmt.Fprintf(&buf, "lines=%d events=%d blank=%d bad=%v\n", sum.Lines, sum.Events, sum.BlankLines, sum.BadByReason)
			windows, _ := cfg.Windows()
			for _, w := range windows {
				tableOut := out
				if len(windows) > 1 {
					tableOut = filepath.Join(out, "window="+w.String())
				}
				l, err := storage.NewLocal(tableOut)
				if err != nil {
					t.Fatal(err)
				}
				files := committed(t, l, tableOut)
				for _, k := range slices.Sorted(func(yield func(string) bool) {
					for k := range files {
						if !yield(k) {
							return
						}
					}
				}) {
					fmt.Fprintf(&buf, "\n== window=%s %s\n%s", w, k, files[k])
				}
			}
			path := filepath.Join(dir, "golden.txt")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test ./job -run Fixture -update creates it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s:\n%s", path, buf.Bytes())
			}
		})
	}
}

// refEvent is one decoded line, computed with encoding/json.
type refEvent struct {
	t       time.Time
	group   string
	errLvl  bool
	warn    bool
	lat     float64 // ms
	hasLat  bool
	status  int
	bytes   int64
	user    string
	hasUser bool
}

// refEvents decodes the generator's lines with the standard library only.
func refEvents(t *testing.T, dir string, groupBy []string) []refEvent {
	t.Helper()
	var evs []refEvent
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			s, _ := m["timestamp"].(string)
			ts, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				continue
			}
			e := refEvent{t: ts}
			if v, ok := m["latency_ms"]; ok {
				f, ok := v.(float64)
				if !ok {
					continue
				}
				e.lat, e.hasLat = f, true
			}
			switch strings.ToUpper(fmt.Sprint(m["level"])) {
			case "ERROR", "FATAL", "CRITICAL":
				e.errLvl = true
			case "WARN", "WARNING":
				e.warn = true
			}
			e.status = int(m["status"].(float64))
			e.bytes = int64(m["bytes"].(float64))
			e.user, e.hasUser = m["user_id"].(string)
			var g []string
			for _, k := range groupBy {
				g = append(g, fmt.Sprint(m[k]))
			}
			e.group = strings.Join(g, "|")
			evs = append(evs, e)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestReferenceFeatures checks every feature against a brute-force
// computation over the same generated lines, for tumbling and sliding
// windows, with and without group-by, and several worker counts: counts,
// sums, min, max exactly, averages to 1e-9, quantiles within the DDSketch
// bound, distinct counts within 4 standard errors of the HLL.
func TestReferenceFeatures(t *testing.T) {
	ctx := context.Background()
	logs := t.TempDir()
	gen := settings.GenerateConfig{Output: logs, Objects: 4, Lines: 3000, Seed: 11, Days: 1,
		Start: time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), BadRatio: 0.005}
	if _, err := job.Generate(ctx, gen); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		window  string
		groupBy []string
	}{
		{"5m", nil},
		{"15m/5m", nil},
		{"10m", []string{"service", "method"}},
		{"30m/10m", []string{"service"}},
	} {
		var byWorkers [][]byte
		for _, workers := range []int{1, 3} {
			name := fmt.Sprintf("%s_by%v_w%d", tc.window, tc.groupBy, workers)
			t.Run(name, func(t *testing.T) {
				out := t.TempDir()
				cfg := runConfig(logs+"/{yyyy}/{mm}/{dd}/", out, settings.S3Settings{})
				cfg.Date, cfg.Window, cfg.GroupBy, cfg.Workers = "2025-11-08", []string{tc.window}, tc.groupBy, workers
				cfg.StatusField, cfg.BytesField, cfg.DistinctField = "status", "bytes", "user_id"
				cfg.Format = []string{"csv"}
				if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
					t.Fatal(err)
				}
				l, _ := storage.NewLocal(out)
				csvData := committed(t, l, out)["date=2025-11-08/part.csv"]
				byWorkers = append(byWorkers, csvData)
				windows, _ := cfg.Windows()
				checkReference(t, csvData, windows[0], len(tc.groupBy), refEvents(t, logs, tc.groupBy))
			})
		}
		if len(byWorkers) == 2 && !bytes.Equal(byWorkers[0], byWorkers[1]) {
			t.Errorf("%s %v: output differs between 1 and 3 workers", tc.window, tc.groupBy)
		}
	}
}

func checkReference(t *testing.T, csvData []byte, w features.Window, dims int, evs []refEvent) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(csvData)), "\n")
	header := strings.Split(lines[0], ",")
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	groups := map[string]bool{}
	for _, e := range evs {
		if !e.t.Before(day) && e.t.Before(day.Add(24*time.Hour+w.Size-w.Slide)) {
			groups[e.group] = true
		}
	}
	if want := len(groups) * int(24*time.Hour/w.Slide); len(lines)-1 != want {
		t.Fatalf("%d rows, want %d (every window of the day × %d groups, dense)", len(lines)-1, want, len(groups))
	}
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		start, _ := time.Parse(time.RFC3339, f[0])
		end := start.Add(w.Size)
		group := strings.Join(f[2:2+dims], "|")
		var n, errs, warns, s2, s3, s4, s5, bytesSum int64
		var lats []float64
		users := map[string]bool{}
		for _, e := range evs {
			if e.t.Before(start) || !e.t.Before(end) || e.group != group {
				continue
			}
			n++
			if e.errLvl {
				errs++
			}
			if e.warn {
				warns++
			}
			if e.hasLat {
				lats = append(lats, e.lat)
			}
			switch e.status / 100 {
			case 2:
				s2++
			case 3:
				s3++
			case 4:
				s4++
			case 5:
				s5++
			}
			bytesSum += e.bytes
			if e.hasUser {
				users[e.user] = true
			}
		}
		exact := map[string]int64{"request_count": n, "error_count": errs, "warn_count": warns,
			"status_2xx": s2, "status_3xx": s3, "status_4xx": s4, "status_5xx": s5, "bytes_sum": bytesSum}
		for name, want := range exact {
			if got := f[col[name]]; got != fmt.Sprint(want) {
				t.Errorf("%s %s %s = %s, want %d", f[0], group, name, got, want)
			}
		}
		num := func(name string) float64 {
			var v float64
			fmt.Sscan(f[col[name]], &v)
			return v
		}
		if n == 0 {
			if f[col["error_rate"]] != "" || f[col["latency_avg_ms"]] != "" {
				t.Errorf("%s %s: empty window with values", f[0], group)
			}
			continue
		}
		if d := float64(len(users)) - num("distinct_count"); math.Abs(d) > 4*features.DistinctRelativeError*float64(len(users))+1 {
			t.Errorf("%s %s distinct = %v, want %d", f[0], group, num("distinct_count"), len(users))
		}
		if len(lats) == 0 {
			continue
		}
		slices.Sort(lats)
		var sum float64
		for _, v := range lats {
			sum += v
		}
		near := func(name string, want, rel float64) {
			if got := num(name); math.Abs(got-want) > rel*math.Abs(want)+1e-9 {
				t.Errorf("%s %s %s = %v, want %v", f[0], group, name, got, want)
			}
		}
		near("latency_avg_ms", sum/float64(len(lats)), 1e-9)
		near("latency_min_ms", lats[0], 0)
		near("latency_max_ms", lats[len(lats)-1], 0)
		for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
			near(fmt.Sprintf("latency_p%v_ms", q*100), lats[int(q*float64(len(lats)-1))], features.SketchRelativeAccuracy)
		}
	}
}

// Timestamps spread over centuries cannot exhaust memory in an undated run:
// past --max-panes the run fails with the bad-data code and commits nothing.
func TestUndatedRunPaneLimit(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		fmt.Fprintf(&b, "{\"timestamp\":%d,\"latency_ms\":1}\n", int64(i)*86400*7) // one a week since 1970
	}
	out := t.TempDir()
	cfg := runConfig("-", out, settings.S3Settings{})
	cfg.MaxPanes = 100
	_, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(b.String())})
	if failure.ExitCode(err) != failure.ExitBadData || !strings.Contains(err.Error(), "max-panes") {
		t.Fatalf("err = %v, want the bad-data exit naming --max-panes", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d entries", len(entries))
	}
}
