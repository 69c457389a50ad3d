package job_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
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
	s3     settings.S3Settings
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
	first, second func(*settings.Config)
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

func win(ws ...string) func(*settings.Config) { return func(c *settings.Config) { c.Window = ws } }
func groupBy(fs ...string) func(*settings.Config) {
	return func(c *settings.Config) { c.GroupBy = fs }
}
func fields(f string) func(*settings.Config) {
	return func(c *settings.Config) {
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
					t.Fatalf("compatible rerun: %v (exit %d)", err, failure.ExitCode(err))
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
			if failure.ExitCode(err) != failure.ExitConfig || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("rerun: %v (exit %d), want exit 2 naming %q", err, failure.ExitCode(err), tc.want)
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

// dataKeys returns the data objects under the store's output, relative to it.
func (s shapeStore) dataKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	root := mustLoc(t, s.out).Key("")
	for k := range s.outputKeys(t) {
		if strings.HasSuffix(k, ".parquet") || strings.HasSuffix(k, ".csv") {
			keys = append(keys, strings.TrimPrefix(k, root))
		}
	}
	slices.Sort(keys)
	return keys
}

func (s shapeStore) outputConfig() *settings.OutputConfig {
	var c settings.OutputConfig
	if err := settings.ParseEnv(&c, map[string]string{}); err != nil {
		panic(err)
	}
	c.Output, c.S3 = s.out, s.s3
	return &c
}

// One table, then two, then one: the second run is refused until the
// table is dropped with table drop; then the output takes two tables in
// window= folders, and a run of one of them writes its window= folder,
// never the root (issue 24 item 3: a glob or a hive-partitioned read sees
// one layout).
func TestDropThenReshape(t *testing.T)        { testDropThenReshape(t, localShapeStore) }
func TestDropThenReshapeOnMinIO(t *testing.T) { testDropThenReshape(t, minioShapeStore) }

func testDropThenReshape(t *testing.T, newStore func(*testing.T) shapeStore) {
	ctx := context.Background()
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), shapeLines(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	st := newStore(t)
	cfg := runConfig(in, st.out, st.s3)
	cfg.Date, cfg.Window = "2025-11-08", []string{"5m"}
	if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
		t.Fatal(err)
	}
	two := cfg
	two.Window = []string{"5m", "1h"}
	if _, err := job.Run(ctx, two, job.Options{}); failure.ExitCode(err) != failure.ExitConfig {
		t.Fatalf("two tables over one: %v (exit %d), want exit 2", err, failure.ExitCode(err))
	}
	oc := st.outputConfig()
	if _, err := job.DropTable(ctx, oc, nil); failure.ExitCode(err) != failure.ExitConfig {
		t.Fatalf("drop without --window: %v, want exit 2", err)
	}
	oc.Window = "1h"
	if _, err := job.DropTable(ctx, oc, nil); failure.ExitCode(err) != failure.ExitConfig {
		t.Fatalf("drop of a table the output lacks: %v, want exit 2", err)
	}
	oc.Window = "5m"
	res, err := job.DropTable(ctx, oc, nil)
	if err != nil || len(res.Dates) != 1 {
		t.Fatalf("drop 5m: %+v, %v", res, err)
	}
	if keys := st.dataKeys(t); len(keys) != 0 {
		t.Fatalf("after the drop the output holds %v", keys)
	}
	if _, err := job.Run(ctx, two, job.Options{}); err != nil {
		t.Fatalf("two tables after the drop: %v", err)
	}
	if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
		t.Fatalf("one of the two tables: %v", err)
	}
	want := []string{"window=1h/date=2025-11-08/part-00000.parquet", "window=5m/date=2025-11-08/part-00000.parquet"}
	if got := st.dataKeys(t); !slices.Equal(got, want) {
		t.Errorf("data objects %v, want %v", got, want)
	}
	if h := readHead(t, st); h.Layout != "windows" || len(h.Tables) != 2 {
		t.Errorf("head %+v, want both tables in window= folders", h)
	}
}

// A run that started before a table drop and claims after it loses (exit
// 4) and writes nothing, whether its partition existed (its head changed)
// or is new (the output's head changed: the run re-reads it once it holds
// its claims). A drop left half done blocks runs (exit 5, naming it) until
// it is run again.
func TestDropRacesARun(t *testing.T) {
	ctx := context.Background()
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), shapeLines(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, date := range []string{"2025-11-08", "2025-11-09"} {
		t.Run(date, func(t *testing.T) {
			st := localShapeStore(t)
			cfg := runConfig(in, st.out, st.s3)
			cfg.Date, cfg.AllowEmpty = "2025-11-08", true
			if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
				t.Fatal(err)
			}
			cfg.Date = date
			oc := st.outputConfig()
			oc.Window = "5m"
			_, err := job.Run(ctx, cfg, job.Options{BeforePublish: func(context.Context, string) {
				if _, err := job.DropTable(ctx, oc, nil); err != nil {
					t.Errorf("drop: %v", err)
				}
			}})
			if failure.ExitCode(err) != failure.ExitLostRace {
				t.Fatalf("run across the drop: %v (exit %d), want exit 4", err, failure.ExitCode(err))
			}
			if keys := st.dataKeys(t); len(keys) != 0 {
				t.Errorf("after the drop and the lost run the output holds %v", keys)
			}
		})
	}
	t.Run("drop left half done", func(t *testing.T) {
		st := localShapeStore(t)
		cfg := runConfig(in, st.out, st.s3)
		cfg.Date = "2025-11-08"
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatal(err)
		}
		out := table.NewOutput(st.bucket, "")
		h, err := out.ReadShape(ctx)
		if err != nil {
			t.Fatal(err)
		}
		half := *h.Shape
		half.Dropping = []string{"5m"}
		if _, err := out.PutShape(ctx, half, h, "drop:5m", time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := job.Run(ctx, cfg, job.Options{}); failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "being dropped") {
			t.Fatalf("run during a drop: %v (exit %d), want exit 5 naming it", err, failure.ExitCode(err))
		}
		oc := st.outputConfig()
		oc.Window = "5m"
		if _, err := job.DropTable(ctx, oc, nil); err != nil {
			t.Fatalf("the drop again: %v", err)
		}
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatalf("run after the drop: %v", err)
		}
	})
}

// An output written before outputs had a head: its shape is inferred from
// its latest manifests; a rerun of the same shape records the head, one of
// another shape is refused (exit 2); an output holding both layouts (one,
// then two tables, by an older logsmith) is refused until one is dropped.
func TestHeadlessOutput(t *testing.T) {
	ctx := context.Background()
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), shapeLines(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	st := localShapeStore(t)
	cfg := runConfig(in, st.out, st.s3)
	cfg.Date, cfg.GroupBy = "2025-11-08", []string{"service"}
	if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
		t.Fatal(err)
	}
	headless := func() {
		if err := st.bucket.Delete(ctx, table.ShapeName); err != nil {
			t.Fatal(err)
		}
	}
	headless()
	other := cfg
	other.GroupBy = []string{"level"}
	if _, err := job.Run(ctx, other, job.Options{}); failure.ExitCode(err) != failure.ExitConfig || !strings.Contains(err.Error(), "grouped by [service]") {
		t.Fatalf("another group-by over a head-less output: %v (exit %d), want exit 2", err, failure.ExitCode(err))
	}
	if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
		t.Fatalf("the same shape: %v", err)
	}
	if h := readHead(t, st); h.Layout != "root" || len(h.Tables) != 1 || !slices.Equal(h.Tables[0].Dimensions, []string{"service"}) {
		t.Errorf("head %+v, want the inferred shape", h)
	}
	// An older logsmith let a second table in beside the first.
	headless()
	two := cfg
	two.Window = []string{"5m", "1h"}
	headlessTwo := two
	if _, err := job.Run(ctx, headlessTwo, job.Options{}); failure.ExitCode(err) != failure.ExitConfig {
		t.Fatalf("two tables over one, head-less: %v", err)
	}
	b := st.bucket
	src := table.NewOutput(b, "").Table("1h", true)
	h, err := table.NewOutput(b, "").Table("5m", false).ReadHead(ctx, "2025-11-08")
	if err != nil {
		t.Fatal(err)
	}
	m := *h.Manifest
	m.Window = "1h"
	body := m.Encode()
	if _, err := b.Put(ctx, src.ManifestKey("2025-11-08"), bytes.NewReader(body), int64(len(body)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	var retries atomic.Int64
	if _, err := job.Run(ctx, cfg, job.Options{Retries: &retries}); failure.ExitCode(err) != failure.ExitConfig || !strings.Contains(err.Error(), "a glob reads both") {
		t.Fatalf("an output of both layouts: %v (exit %d), want exit 2", err, failure.ExitCode(err))
	}
	if n := retries.Load(); n != 0 {
		t.Errorf("%d retries of a refusal no retry can help", n)
	}
	oc := st.outputConfig()
	oc.Window = "1h"
	if _, err := job.DropTable(ctx, oc, nil); err != nil {
		t.Fatalf("drop the stray table: %v", err)
	}
	if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
		t.Fatalf("after the drop: %v", err)
	}
}

// Two first runs of an output with different shapes, lined up to record
// it at once: exactly one shape wins and commits; the other run exits 2
// naming the difference, or 4 having lost the date first, and commits
// nothing. Two of the same shape both
// proceed (one commits, the other commits after it or loses the race).
func TestFirstRunsRaceForTheShape(t *testing.T)        { testFirstRunsRace(t, localShapeStore) }
func TestFirstRunsRaceForTheShapeOnMinIO(t *testing.T) { testFirstRunsRace(t, minioShapeStore) }

func testFirstRunsRace(t *testing.T, newStore func(*testing.T) shapeStore) {
	ctx := context.Background()
	in := t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), shapeLines(3000), 0o644); err != nil {
		t.Fatal(err)
	}
	for it := range 6 {
		st := newStore(t)
		same := it%2 == 1
		l := newLineUp(2, 10*time.Second)
		rs := raceAll(2, func(i int) (*job.Summary, error) {
			cfg := runConfig(in, st.out, st.s3)
			cfg.Date, cfg.RunID = "2025-11-08", fmt.Sprintf("racer%d", i)
			if i == 1 && !same {
				cfg.GroupBy = []string{"service"}
			}
			return job.Run(ctx, cfg, job.Options{AfterList: func(ctx context.Context) { l.hook()(ctx, "") }})
		}, func(i int) string { return fmt.Sprintf("racer%d", i) })
		var won, refused int
		for _, r := range rs {
			switch failure.ExitCode(r.err) {
			case failure.ExitOK:
				won++
			case failure.ExitConfig:
				refused++
			case failure.ExitLostRace:
			default:
				t.Fatalf("iteration %d: %v (exit %d)", it, r, failure.ExitCode(r.err))
			}
		}
		h := readHead(t, st)
		switch {
		case same && (won < 1 || refused > 0):
			t.Fatalf("iteration %d, same shape: %v", it, rs)
		case !same && (won != 1 || refused > 1):
			// The other refused (exit 2), or lost the date first (exit 4):
			// either way it wrote nothing, and the head is the winner's.
			t.Fatalf("iteration %d, two shapes: %v; want one commit, the other refused or lost", it, rs)
		case len(h.Tables) != 1:
			t.Fatalf("iteration %d: head %+v", it, h)
		}
		m, _, err := readManifest(ctx, st.bucket, mustLoc(t, st.out), "2025-11-08")
		if err != nil {
			t.Fatal(err)
		}
		if want := len(h.Tables[0].Dimensions) > 0; (len(m.Schema) > 0 && m.Schema[2].Name == "service") != want {
			t.Fatalf("iteration %d: the head says dimensions %v, the committed partition's schema %v", it, h.Tables[0].Dimensions, m.Schema)
		}
	}
}
