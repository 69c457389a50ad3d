package job_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

var _ job.Bucket = (*storage.S3)(nil)
var _ job.Bucket = (*storage.Local)(nil)

func s3Settings(c storage.S3Config) settings.S3Settings {
	return settings.S3Settings{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey, Insecure: c.Insecure}
}

func runConfig(in, out string, s3 settings.S3Settings) settings.Config {
	var cfg settings.Config
	if err := settings.ParseEnv(&cfg, map[string]string{}); err != nil {
		panic(err)
	}
	cfg.Input, cfg.Output, cfg.S3 = in, out, s3
	return cfg
}

// committed returns the committed files of every partition under out, keyed
// by "date=D/part.FORMAT", read the way a downstream reader must: through
// the manifests.
func committed(t *testing.T, b job.Bucket, out string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	loc, err := settings.ParseLocation(out)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := listManifests(ctx, b, loc)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, m := range ms {
		for _, format := range []string{"parquet", "csv"} {
			keys, _, err := committedFiles(ctx, b, loc, m.Date, format)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				rc, err := b.Open(ctx, k, 0)
				if err != nil {
					t.Fatalf("manifest of %s lists %s: %v", m.Date, k, err)
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				files["date="+m.Date+"/part."+format] = data
			}
		}
	}
	return files
}

// readAll returns every object under prefix, by key.
func readAll(t *testing.T, b job.Bucket, prefix string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	err := b.List(ctx, prefix, func(o storage.ObjectInfo) error {
		rc, err := b.Open(ctx, o.Key, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		out[o.Key] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunOnMinIO generates logs into MinIO, runs the job with several worker
// counts, reads the Parquet back and checks it against an independent
// computation over the same objects with encoding/json.
func TestRunOnMinIO(t *testing.T) {
	ctx := context.Background()
	bucket, s3cfg := storagetest.NewBucket(t)
	s3 := s3Settings(s3cfg)
	gen := settings.GenerateConfig{Output: "s3://" + bucket.Bucket() + "/logs", Objects: 5, Lines: 4000, Seed: 7,
		Gzip: true, Start: time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), Days: 1, BadRatio: 0.004, S3: s3}
	if _, err := job.Generate(ctx, gen); err != nil {
		t.Fatal(err)
	}

	var first map[string][]byte
	for _, workers := range []int{1, 2, 5} {
		out := fmt.Sprintf("s3://%s/features-w%d", bucket.Bucket(), workers)
		cfg := runConfig("s3://"+bucket.Bucket()+"/logs/", out, s3)
		cfg.Workers = workers
		cfg.Format = []string{"parquet", "csv"}
		sum, err := job.Run(ctx, cfg, job.Options{})
		if err != nil {
			t.Fatalf("run with %d workers: %v", workers, err)
		}
		if sum.Objects != 5 || sum.Lines != 20000 || sum.BadLines == 0 || sum.Events+sum.BadLines != sum.Lines {
			t.Errorf("summary = %+v", sum)
		}
		renamed := committed(t, bucket, out)
		if first == nil {
			first = renamed
			continue
		}
		if len(renamed) != len(first) {
			t.Fatalf("workers=%d wrote %d files, workers=1 wrote %d", workers, len(renamed), len(first))
		}
		for k, v := range first {
			if !bytes.Equal(renamed[k], v) {
				t.Errorf("workers=%d: %s differs from workers=1", workers, k)
			}
		}
	}

	// Read the Parquet back.
	var rows []pqRow
	var dates []string
	for k, data := range first {
		if !strings.HasSuffix(k, ".parquet") {
			continue
		}
		dates = append(dates, k)
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("open %s: %v", k, err)
		}
		for _, col := range []string{"window_start", "window_end"} {
			lt, ok := f.Schema().Lookup(col)
			if !ok {
				t.Fatalf("%s: no column %s", k, col)
			}
			typ := lt.Node.Type().LogicalType()
			if got := fmt.Sprint(typ); got != "TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)" {
				t.Errorf("%s: %s logical type = %s, want TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)", k, col, got)
			}
		}
		rs, err := parquet.Read[pqRow](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("read %s: %v", k, err)
		}
		date := strings.TrimPrefix(strings.Split(k, "/")[0], "date=")
		for i, r := range rs {
			if r.WindowStart.UTC().Format(time.DateOnly) != date {
				t.Errorf("%s holds a window starting %v", k, r.WindowStart)
			}
			if i > 0 && !rs[i-1].WindowStart.Before(r.WindowStart) {
				t.Errorf("%s: rows not sorted by window_start at %d", k, i)
			}
		}
		rows = append(rows, rs...)
	}
	if !slices.Contains(dates, "date=2025-11-08/part.parquet") {
		t.Errorf("partitions = %v, want date=2025-11-08 among them", dates)
	}
	ref := reference(t, readAll(t, bucket, "logs/"))
	nonEmpty := 0
	for _, r := range rows {
		w := ref[r.WindowStart.UnixMilli()]
		if w == nil {
			// Dense: a window without events is all zeros and nulls.
			if r.RequestCount != 0 || r.LatencyAvg != nil || r.ErrorRate != nil {
				t.Errorf("row for %v not in reference: %+v", r.WindowStart, r)
			}
			continue
		}
		nonEmpty++
		checkAgainst(t, r, w)
	}
	if nonEmpty != len(ref) {
		t.Fatalf("%d rows with events, reference has %d windows", nonEmpty, len(ref))
	}
}

// refWindow is the brute-force aggregate of one window.
type refWindow struct {
	count, errors, warns int64
	lats                 []float64
}

// reference computes windows from raw objects with the standard library only.
func reference(t *testing.T, objects map[string][]byte) map[int64]*refWindow {
	t.Helper()
	out := map[int64]*refWindow{}
	for key, data := range objects {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			s, ok := m["timestamp"].(string)
			if !ok {
				continue
			}
			ts, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				continue
			}
			var lat float64
			hasLat := false
			if v, ok := m["latency_ms"]; ok && v != nil {
				f, ok := v.(float64)
				if !ok {
					continue
				}
				lat, hasLat = f, true
			}
			start := ts.Truncate(5 * time.Minute).UnixMilli()
			w := out[start]
			if w == nil {
				w = &refWindow{}
				out[start] = w
			}
			w.count++
			switch lvl, _ := m["level"].(string); strings.ToUpper(lvl) {
			case "ERROR", "FATAL", "CRITICAL":
				w.errors++
			case "WARN", "WARNING":
				w.warns++
			}
			if hasLat {
				w.lats = append(w.lats, lat)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	return out
}

// pqRow is the schema 2.0 table without optional columns, as a reader
// would declare it.
type pqRow struct {
	WindowStart   time.Time `parquet:"window_start,timestamp(millisecond:utc)"`
	WindowEnd     time.Time `parquet:"window_end,timestamp(millisecond:utc)"`
	RequestCount  int64     `parquet:"request_count"`
	ErrorCount    int64     `parquet:"error_count"`
	WarnCount     int64     `parquet:"warn_count"`
	ErrorRate     *float64  `parquet:"error_rate,optional"`
	LatencyAvg    *float64  `parquet:"latency_avg_ms,optional"`
	LatencyMin    *float64  `parquet:"latency_min_ms,optional"`
	LatencyMax    *float64  `parquet:"latency_max_ms,optional"`
	LatencyStddev *float64  `parquet:"latency_stddev_ms,optional"`
	LatencyP50    *float64  `parquet:"latency_p50_ms,optional"`
	LatencyP90    *float64  `parquet:"latency_p90_ms,optional"`
	LatencyP95    *float64  `parquet:"latency_p95_ms,optional"`
	LatencyP99    *float64  `parquet:"latency_p99_ms,optional"`
}

func checkAgainst(t *testing.T, r pqRow, w *refWindow) {
	t.Helper()
	if r.RequestCount != w.count || r.ErrorCount != w.errors || r.WarnCount != w.warns {
		t.Errorf("%v: counts %d/%d/%d, reference %d/%d/%d", r.WindowStart, r.RequestCount, r.ErrorCount, r.WarnCount, w.count, w.errors, w.warns)
	}
	if want := float64(w.errors) / float64(w.count); r.ErrorRate == nil || *r.ErrorRate != want {
		t.Errorf("%v: error_rate %v, reference %v", r.WindowStart, *r.ErrorRate, want)
	}
	if len(w.lats) == 0 {
		if r.LatencyAvg != nil {
			t.Errorf("%v: latency stats without latencies", r.WindowStart)
		}
		return
	}
	lats := slices.Clone(w.lats)
	slices.Sort(lats)
	var sum float64
	for _, v := range lats {
		sum += v
	}
	check := func(name string, got *float64, want, rel float64) {
		if got == nil || math.Abs(*got-want) > rel*math.Abs(want)+1e-9 {
			t.Errorf("%v: %s = %v, reference %v", r.WindowStart, name, got, want)
		}
	}
	check("avg_latency", r.LatencyAvg, sum/float64(len(lats)), 1e-9)
	check("min_latency", r.LatencyMin, lats[0], 0)
	check("max_latency", r.LatencyMax, lats[len(lats)-1], 0)
	for i, q := range []float64{0.5, 0.9, 0.95, 0.99} {
		got := []*float64{r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99}[i]
		check(fmt.Sprintf("p%v", q*100), got, lats[int(q*float64(len(lats)-1))], features.SketchRelativeAccuracy)
	}
}

// TestRunStdin reads JSON lines from standard input into a local folder.
func TestRunStdin(t *testing.T) {
	in := strings.Join([]string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":120}`,
		`{"timestamp":"2025-11-08T10:04:59.999Z","level":"ERROR","latency_ms":80}`,
		`garbage`,
		`{"timestamp":"2025-11-08T10:05:00+00:00","level":"warn"}`,
	}, "\n")
	out := t.TempDir()
	cfg := runConfig("-", out, settings.S3Settings{})
	cfg.Format = []string{"csv"}
	cfg.MaxBadRatio = 0.5
	sum, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in)})
	if err != nil {
		t.Fatal(err)
	}
	// Dense, but only over the span the input covers (issue 25): the two
	// windows from the first event to the last, not the whole day.
	if sum.Lines != 4 || sum.BadByReason["not_json"] != 1 || sum.Rows != 2 {
		t.Errorf("summary = %+v, want 2 rows: the windows the input covers", sum)
	}
	l, _ := storage.NewLocal(out)
	got := string(committed(t, l, out)["date=2025-11-08/part.csv"])
	// Keep the header and the windows with events; the rest are empty.
	var kept []string
	for i, line := range strings.Split(got, "\n") {
		if i == 0 || strings.HasPrefix(line, "2025-11-08T10:00:00Z") || strings.HasPrefix(line, "2025-11-08T10:05:00Z") {
			kept = append(kept, line)
		} else if line != "" && !strings.Contains(line, ",0,0,0,,,,,,,,,") {
			t.Errorf("window without events is not empty: %s", line)
		}
	}
	got = strings.Join(kept, "\n") + "\n"
	if strings.Count(got, "\n") != 3 {
		t.Errorf("csv = %s", got)
	}
	want := "window_start,window_end,request_count,error_count,warn_count,error_rate,latency_avg_ms,latency_min_ms,latency_max_ms,latency_stddev_ms,latency_p50_ms,latency_p90_ms,latency_p95_ms,latency_p99_ms\n" +
		"2025-11-08T10:00:00Z,2025-11-08T10:05:00Z,2,1,0,0.5,100.0,80.0,120.0,20.0,80.0,80.0,80.0,80.0\n" +
		"2025-11-08T10:05:00Z,2025-11-08T10:10:00Z,1,0,1,0.0,,,,,,,,\n"
	if got != want {
		t.Errorf("csv =\n%s\nwant\n%s", got, want)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LOGSMITH_WINDOW": "five", "LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y"}, "LOGSMITH_WINDOW"},
		{map[string]string{"LOGSMITH_WORKERS": "-3", "LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y"}, "LOGSMITH_WORKERS"},
		{map[string]string{"LOGSMITH_INPUT": "x"}, "LOGSMITH_OUTPUT"},
		{map[string]string{"LOGSMITH_INPUT": "gs://a/b", "LOGSMITH_OUTPUT": "y"}, "LOGSMITH_INPUT"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_FORMAT": "orc"}, "LOGSMITH_FORMAT"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_WINDOW": "7m"}, "LOGSMITH_WINDOW"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_WINDOW": "15m/7m"}, "LOGSMITH_WINDOW"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_LATENCY_UNIT": "min"}, "LOGSMITH_LATENCY_UNIT"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_GROUP_BY": "window_start"}, "LOGSMITH_GROUP_BY"},
		{map[string]string{"LOGSMITH_INPUT": "x", "LOGSMITH_OUTPUT": "y", "LOGSMITH_TIMESTAMP_FORMAT": "iso"}, "LOGSMITH_TIMESTAMP_FORMAT"},
		{map[string]string{"LOGSMITH_S3_INSECURE": "maybe"}, "LOGSMITH_S3_INSECURE"},
	}
	for _, tt := range tests {
		var cfg settings.Config
		err := settings.ParseEnv(&cfg, tt.env)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("env %v: error %q, want one line naming %s", tt.env, err, tt.want)
		}
		if failure.ExitCode(err) != failure.ExitConfig {
			t.Errorf("env %v: exit code %d, want %d", tt.env, failure.ExitCode(err), failure.ExitConfig)
		}
	}
}

// phases records the phases a run names, in order.
type phases struct {
	mu    sync.Mutex
	names []string
}

func (p *phases) Phase(name string)   { p.mu.Lock(); p.names = append(p.names, name); p.mu.Unlock() }
func (p *phases) Retrying(int, error) {}
func (p *phases) Listed(int, int64)   {}
func (p *phases) Read(int64)          {}
func (p *phases) ObjectDone()         {}

// A run names each of its phases to its progress, in order, so that a
// display is never silent about what it waits for (issue 25 item 9).
func TestRunNamesItsPhases(t *testing.T) {
	in := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":120}` + "\n"
	cfg := runConfig("-", t.TempDir(), settings.S3Settings{})
	p := &phases{}
	if _, err := job.Run(context.Background(), cfg, job.Options{Stdin: strings.NewReader(in), Progress: p}); err != nil {
		t.Fatal(err)
	}
	want := []string{"checking the output", "listing", "reading", "building tables", "committing date 2025-11-08", "gc"}
	if !slices.Equal(p.names, want) {
		t.Errorf("phases %q, want %q", p.names, want)
	}
}
