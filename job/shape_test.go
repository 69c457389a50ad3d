package job_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// shapeLines are events of 2025-11-08 with every field a shape test may
// configure: service, level, status, bytes and a user.
func shapeLines(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"%s","service":"s%d","status":%d,"bytes":%d,"user":"u%d","latency_ms":%d}`+"\n",
			i/60%24, i%60, i%7, []string{"INFO", "ERROR"}[i%5/4], i%3, []int{200, 404, 503}[i%3], 100+i, i%11, i%97)
	}
	return []byte(b.String())
}

// shapeStore is an output to run shape tests against: a local folder or a
// MinIO bucket.
type shapeStore struct {
	out    string
	s3     job.S3Settings
	bucket job.Bucket
}

func localShapeStore(t *testing.T) shapeStore {
	out := t.TempDir()
	b, err := storage.NewLocal(out)
	if err != nil {
		t.Fatal(err)
	}
	return shapeStore{out: out, bucket: b}
}

func minioShapeStore(t *testing.T) shapeStore {
	b, c := storagetest.NewBucket(t)
	return shapeStore{out: "s3://" + b.Bucket() + "/features", s3: s3Settings(c), bucket: b}
}

// outputKeys returns every key under the store's output with its ETag.
func (s shapeStore) outputKeys(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{}
	err := s.bucket.List(context.Background(), mustLoc(t, s.out).Key(""), func(o storage.ObjectInfo) error {
		keys[o.Key] = o.ETag
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// shapeChanges are the ways a rerun may differ from the commit before it
// in what the output's tables mean, and whether the output takes it.
var shapeChanges = []struct {
	name          string
	first, second func(*job.Config)
	compatible    bool
	want          string // in the refusal
}{
	{"window changed", win("5m"), win("10m"), false, "tables [5m]"},
	{"window added", win("5m"), win("5m", "1h"), false, "add [1h]"},
	{"window removed", win("5m", "1h"), win("5m"), true, ""}, // one table of two: in its window= folder
	{"window swapped", win("5m", "1h"), win("5m", "10m"), false, "add [10m]"},
	{"slide changed", win("15m/5m"), win("15m/3m"), false, "15m-every-3m"},
	{"sliding to tumbling", win("15m/5m"), win("15m"), false, "15m-every-5m"},
	{"windows reordered", win("5m", "1h"), win("1h", "5m"), true, ""},
	{"group-by added", groupBy(), groupBy("service"), false, "grouped by []"},
	{"group-by removed", groupBy("service"), groupBy(), false, "grouped by [service]"},
	{"group-by changed", groupBy("service"), groupBy("level"), false, "groups by [level]"},
	{"group-by reordered", groupBy("service", "level"), groupBy("level", "service"), false, "groups by [level service]"},
	{"status added", fields(""), fields("status"), true, ""},
	{"bytes added", fields(""), fields("bytes"), true, ""},
	{"distinct added", fields(""), fields("distinct"), true, ""},
	{"status removed", fields("status"), fields(""), false, "status_2xx"},
	{"bytes removed", fields("bytes"), fields(""), false, "bytes_sum"},
	{"distinct removed", fields("distinct"), fields(""), false, "distinct_count"},
	{"status swapped for bytes", fields("status"), fields("bytes"), false, "status_5xx"},
}

func win(ws ...string) func(*job.Config) { return func(c *job.Config) { c.Window = ws } }
func groupBy(fs ...string) func(*job.Config) {
	return func(c *job.Config) { c.GroupBy = fs }
}
func fields(f string) func(*job.Config) {
	return func(c *job.Config) {
		c.StatusField, c.BytesField, c.DistinctField = "", "", ""
		switch f {
		case "status":
			c.StatusField = "status"
		case "bytes":
			c.BytesField = "bytes"
		case "distinct":
			c.DistinctField = "user"
		}
	}
}

// A rerun that would change what the output's tables mean — another window
// set, slide, group-by or a column dropped — is refused with exit 2 naming
// the difference, and leaves every object of the output as it was; a
// compatible one (a column added, the same windows in another order)
// commits and records the new columns in the output's head (issue 24
// item 3).
func TestShapeChangeRefused(t *testing.T)        { testShapeChange(t, localShapeStore) }
func TestShapeChangeRefusedOnMinIO(t *testing.T) { testShapeChange(t, minioShapeStore) }

func testShapeChange(t *testing.T, newStore func(*testing.T) shapeStore) {
	ctx := context.Background()
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), shapeLines(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range shapeChanges {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			st := newStore(t)
			cfg := runConfig(in, st.out, st.s3)
			cfg.Date, cfg.Format = "2025-11-08", []string{"parquet", "csv"}
			tc.first(&cfg)
			if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
				t.Fatal(err)
			}
			before := st.outputKeys(t)
			second := cfg
			tc.second(&second)
			_, err := job.Run(ctx, second, job.Options{})
			if tc.compatible {
				if err != nil {
					t.Fatalf("compatible rerun: %v (exit %d)", err, job.ExitCode(err))
				}
				// The head records the run's columns, the added ones too,
				// and the layout stays the first run's.
				h := readHead(t, st)
				if want := map[bool]string{false: "root", true: "windows"}[len(cfg.Window) > 1]; h.Layout != want {
					t.Errorf("layout %s after the rerun, want %s", h.Layout, want)
				}
				for k := range st.outputKeys(t) {
					rel := strings.TrimPrefix(k, mustLoc(t, st.out).Key(""))
					if h.Layout == "windows" && strings.HasPrefix(rel, "date=") || h.Layout == "root" && strings.HasPrefix(rel, "window=") {
						t.Errorf("%s in an output of layout %s", k, h.Layout)
					}
				}
				want := cfg.Columns()
				want2 := second.Columns()
				for _, ts := range h.Tables {
					for _, c := range append(want.Schema(), want2.Schema()...) {
						if !slices.Contains(ts.Columns, c.Name) {
							t.Errorf("table %s records the columns %v, without %s", ts.Window, ts.Columns, c.Name)
						}
					}
				}
				return
			}
			if job.ExitCode(err) != job.ExitConfig || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("rerun: %v (exit %d), want exit 2 naming %q", err, job.ExitCode(err), tc.want)
			}
			if after := st.outputKeys(t); !maps.Equal(before, after) {
				t.Errorf("the refused rerun changed the output:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

// readHead reads the output's head (table.ShapeName) as a reader would.
func readHead(t *testing.T, st shapeStore) (h struct {
	Layout string `json:"layout"`
	Tables []struct {
		Window     string   `json:"window"`
		Dimensions []string `json:"dimensions"`
		Columns    []string `json:"columns"`
	} `json:"tables"`
}) {
	t.Helper()
	rc, err := st.bucket.Open(context.Background(), mustLoc(t, st.out).Key("_tables.json"), 0)
	if err != nil {
		t.Fatalf("the output's head: %v", err)
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(&h); err != nil {
		t.Fatalf("the output's head: %v", err)
	}
	return h
}
