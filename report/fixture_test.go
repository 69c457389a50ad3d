package report_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/report"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// day is the date every fixture commits.
const day = "2025-11-08"

// fixture is one committed output and how it was made.
type fixture struct {
	name   string
	out    string // the output URL
	bucket table.Bucket
	prefix string
}

// outputs describes the runs of the tests: each makes tables of a shape
// the pictures must sum right.
var outputs = []struct {
	name    string
	windows []string
	groupBy []string
	sparse  bool
	latency string // the latency field; "" disables it: every p99 is null
}{
	// Several rows per window (groups), windows of 1 minute to an hour, a
	// sliding table, hours without any event (zero-filled rows).
	{"grouped", []string{"1m", "5m", "1h", "15m/5m"}, []string{"service"}, false, "latency_ms"},
	// Sparse: hours and windows without a row; windows without a latency.
	{"sparse", []string{"10m", "2h"}, []string{"service", "method"}, true, "latency_ms"},
	// No latency at all: every p99 null.
	{"nolatency", []string{"30m"}, nil, false, ""},
}

// logs writes the test's input: events on a few hours of the day only, a
// third of them without a latency, errors by service, and bad lines.
func logs(t *testing.T, dir string) {
	t.Helper()
	r := rand.New(rand.NewPCG(25, 10))
	start, _ := time.Parse(time.DateOnly, day)
	services := []string{"api", "auth", "web"}
	methods := []string{"GET", "POST"}
	for obj := range 4 {
		var b bytes.Buffer
		for i := range 3000 {
			hour := []int{2, 3, 3, 9, 14, 14, 14, 23}[r.IntN(8)]
			at := start.Add(time.Duration(hour)*time.Hour + time.Duration(r.Int64N(int64(time.Hour))))
			svc := services[r.IntN(len(services))]
			level := "INFO"
			if r.IntN(20) == 0 || (svc == "auth" && r.IntN(5) == 0) {
				level = "ERROR"
			}
			switch {
			case i%97 == 0:
				b.WriteString("{not json\n")
			case i%89 == 0:
				fmt.Fprintf(&b, `{"level":"INFO","latency_ms":5}`+"\n")
			case r.IntN(3) == 0:
				fmt.Fprintf(&b, `{"timestamp":%q,"level":%q,"service":%q,"method":%q}`+"\n",
					at.Format(time.RFC3339Nano), level, svc, methods[r.IntN(2)])
			default:
				fmt.Fprintf(&b, `{"timestamp":%q,"level":%q,"service":%q,"method":%q,"latency_ms":%.3f}`+"\n",
					at.Format(time.RFC3339Nano), level, svc, methods[r.IntN(2)], r.ExpFloat64()*40+float64(len(svc)))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("app-%d.jsonl", obj)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// commit runs logsmith over the test's logs into each output under base
// (a local folder, or s3://bucket/prefix with s3), and returns them.
func commit(t *testing.T, base string, s3 settings.S3Settings, b table.Bucket, prefix string) []fixture {
	t.Helper()
	in := t.TempDir()
	logs(t, in)
	var fs []fixture
	for _, o := range outputs {
		var cfg settings.Config
		if err := settings.ParseEnv(&cfg, map[string]string{}); err != nil {
			t.Fatal(err)
		}
		cfg.Input, cfg.Output, cfg.S3, cfg.Date = in, base+"/"+o.name, s3, day
		cfg.Window, cfg.GroupBy, cfg.Sparse, cfg.LatencyField = o.windows, o.groupBy, o.sparse, o.latency
		cfg.MaxBadRatio = 0.5
		cfg.Format = []string{"parquet"}
		if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
			t.Fatalf("run %s: %v", o.name, err)
		}
		fs = append(fs, fixture{name: o.name, out: cfg.Output, bucket: b, prefix: prefix + o.name})
	}
	return fs
}

// localOutputs commits the fixtures to a local folder.
func localOutputs(t *testing.T) []fixture {
	dir := t.TempDir()
	b, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return commit(t, dir, settings.S3Settings{}, b, "")
}

// minioOutputs commits the fixtures to a bucket of the test MinIO (skipped
// outside CI without one, saying so; failing in CI).
func minioOutputs(t *testing.T) []fixture {
	b, c := storagetest.NewBucket(t)
	s3 := settings.S3Settings{Endpoint: c.Endpoint, Region: c.Region, AccessKey: c.AccessKey, SecretKey: c.SecretKey, Insecure: c.Insecure}
	return commit(t, "s3://"+b.Bucket()+"/out", s3, b, "out/")
}

// partitions reads every table's partition of the day with report.Read.
func (f fixture) partitions(t *testing.T) []*report.Partition {
	t.Helper()
	ctx := context.Background()
	tables, err := table.NewOutput(f.bucket, f.prefix).Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*report.Partition
	for _, tb := range tables {
		p, err := report.Read(ctx, tb, day, 0)
		if err != nil {
			t.Fatalf("%s: read table %s: %v", f.name, tb.Window, err)
		}
		ps = append(ps, p)
	}
	return ps
}

// copyOut copies the committed Parquet file of each table of the day to a
// local file for DuckDB, listed by table.Files (what logsmith files
// prints) and read by the test itself, by table window.
func (f fixture) copyOut(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	tables, err := table.NewOutput(f.bucket, f.prefix).Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	dir := t.TempDir()
	for _, tb := range tables {
		files, err := tb.Files(ctx, day, day, "parquet", 0)
		if err != nil || len(files) != 1 {
			t.Fatalf("%s: files of %s: %v, %v", f.name, tb.Window, files, err)
		}
		rc, err := f.bucket.Open(ctx, files[0].Key, 0)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("t%d.parquet", len(out)))
		w, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		w.Close()
		out[files[0].Window] = path
	}
	return out
}
