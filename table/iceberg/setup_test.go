package iceberg_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table/iceberg"
)

// setup is one catalog and warehouse combination a test runs against.
type setup struct {
	opts iceberg.Options
	s3   *storage.S3 // the warehouse bucket, or nil for a local folder
}

func randName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// setups runs fn against a SQLite, a PostgreSQL and a REST catalog (the
// test fixture in restfixture_test.go), each with a local folder and a
// MinIO warehouse. A fresh namespace (and SQLite file, folder and bucket)
// each time.
func setups(t *testing.T, fn func(t *testing.T, s setup)) {
	for _, wh := range []string{"local", "s3"} {
		for _, cat := range []string{"sqlite", "postgres", "rest"} {
			t.Run(wh+"/"+cat, func(t *testing.T) {
				s := newSetup(t, wh, cat)
				fn(t, s)
			})
		}
	}
}

func newSetup(t *testing.T, wh, cat string) setup {
	t.Helper()
	var s setup
	dir := t.TempDir()
	s.opts.Namespace = randName("t")
	switch wh {
	case "local":
		s.opts.Warehouse = filepath.Join(dir, "warehouse")
	case "s3":
		storagetest.S3Config(t)
		b, cfg := storagetest.NewBucket(t)
		s.s3 = b
		s.opts.S3 = cfg
		s.opts.Warehouse = "s3://" + b.Bucket() + "/lake"
	}
	switch cat {
	case "sqlite":
		s.opts.Catalog = "sqlite://" + filepath.Join(dir, "catalog", "catalog.db")
	case "postgres":
		s.opts.Catalog = storagetest.PostgresURL(t)
	case "rest":
		s.opts.Catalog = restCatalog(t, s.opts)
	}
	return s
}

// table5m opens (creating) the 5-minute table of every column in c.
func table5m(t *testing.T, c *iceberg.Catalog) *iceberg.Table {
	t.Helper()
	tb, err := c.Table(context.Background(), win5m, fullCols)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func open(t *testing.T, o iceberg.Options) *iceberg.Catalog {
	t.Helper()
	c, err := iceberg.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("close catalog: %v", err)
		}
	})
	return c
}

var (
	win5m    = features.Window{Size: 5 * time.Minute}
	fullCols = features.Columns{Dims: []string{"service", "method"}, Status: true, Bytes: true, Distinct: true}
	groups   = [][]string{{"api", "GET"}, {"api", "POST"}, {"wéb,\"1\"", ""}}
)

func f64(v float64) *float64 { return &v }

// genRows makes windows rows per group of date. run is written into
// every row's distinct_count (and bytes_sum), so a reader can tell which
// run's rows it sees.
func genRows(date string, windows int, run int64) []features.Row {
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	var rows []features.Row
	for i := range windows {
		for g, grp := range groups {
			ws := day.Add(time.Duration(i) * 5 * time.Minute)
			n := int64(i*10 + g + 1)
			r := features.Row{
				WindowStart: ws, WindowEnd: ws.Add(5 * time.Minute), Group: grp,
				RequestCount: n, ErrorCount: n / 3, WarnCount: n / 5,
				Status2xx: n - n/3, Status3xx: 0, Status4xx: n / 5, Status5xx: n / 3,
				BytesSum: run * 1000, DistinctCount: run,
			}
			if i%4 != 0 {
				r.ErrorRate = f64(float64(r.ErrorCount) / float64(n))
			}
			if i%3 != 0 {
				r.LatencyAvg, r.LatencyMin, r.LatencyMax = f64(12.5+float64(i)), f64(0.001), f64(3.6e6)
				r.LatencyStddev, r.LatencyP50, r.LatencyP90 = f64(math.Pi), f64(10), f64(1e-7)
				r.LatencyP95, r.LatencyP99 = f64(99.25), f64(float64(run))
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func sortRows(rows []features.Row) {
	slices.SortFunc(rows, func(a, b features.Row) int {
		return cmp.Or(a.WindowStart.Compare(b.WindowStart), slices.Compare(a.Group, b.Group))
	})
}

// rowsOf turns a scan's arrow table back into rows, by column name. A
// column missing from cols must be null in every row (reported through
// nulls[name]).
func rowsOf(t *testing.T, tbl arrow.Table, cols features.Columns) (rows []features.Row, nulls map[string]int) {
	t.Helper()
	n := int(tbl.NumRows())
	rows = make([]features.Row, n)
	nulls = map[string]int{}
	for i := range rows {
		rows[i].Group = make([]string, len(cols.Dims))
	}
	sc := tbl.Schema()
	for ci, f := range sc.Fields() {
		chunks := tbl.Column(ci).Data().Chunks()
		row := 0
		for _, ch := range chunks {
			for j := 0; j < ch.Len(); j, row = j+1, row+1 {
				r := &rows[row]
				if ch.IsNull(j) {
					nulls[f.Name]++
					continue
				}
				var v any
				switch a := ch.(type) {
				case *array.Timestamp:
					v = time.UnixMicro(int64(a.Value(j))).UTC()
				case *array.String:
					v = a.Value(j)
				case *array.LargeString:
					v = a.Value(j)
				case *array.Int64:
					v = a.Value(j)
				case *array.Float64:
					v = a.Value(j)
				default:
					t.Fatalf("column %s: unexpected arrow type %s", f.Name, f.Type)
				}
				setField(t, r, cols, f.Name, v)
			}
		}
	}
	return rows, nulls
}

// setField sets column name of r to v, as the column list says.
func setField(t *testing.T, r *features.Row, cols features.Columns, name string, v any) {
	for _, c := range cols.Schema() {
		if c.Name == name {
			if err := c.Set(r, v); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("unexpected column %s", name)
}

// readDates scans the table at snapshot (0: current) and returns its rows
// by date.
func readDates(t *testing.T, tb *iceberg.Table, snapshot int64, cols features.Columns) map[string][]features.Row {
	t.Helper()
	at, err := tb.Scan(context.Background(), snapshot)
	if err != nil {
		t.Fatalf("scan %s at %d: %v", tb.Name(), snapshot, err)
	}
	defer at.Release()
	rows, _ := rowsOf(t, at, cols)
	byDate := map[string][]features.Row{}
	for _, r := range rows {
		d := r.WindowStart.Format(time.DateOnly)
		byDate[d] = append(byDate[d], r)
	}
	for _, rs := range byDate {
		sortRows(rs)
	}
	return byDate
}

// sameRows compares every cell of got and want (both sorted).
func sameRows(t *testing.T, what string, got, want []features.Row) {
	t.Helper()
	want = slices.Clone(want)
	sortRows(want)
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		w := want[i]
		w.WindowStart, w.WindowEnd = w.WindowStart.UTC(), w.WindowEnd.UTC()
		if !reflect.DeepEqual(got[i], w) {
			t.Fatalf("%s: row %d\n got %s\nwant %s", what, i, fmtRow(got[i]), fmtRow(w))
		}
	}
}

func fmtRow(r features.Row) string {
	var b strings.Builder
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		fmt.Fprintf(&b, "%s=%v ", v.Type().Field(i).Name, f)
	}
	return b.String()
}
