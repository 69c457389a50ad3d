package readback

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/logsmith/logsmith/features"
)

// cols has every kind of column: timestamps, a string dimension, counts and
// nullable floats.
var cols = features.Columns{Dims: []string{"service"}, Status: true, Bytes: true, Distinct: true}

// The days of the test, one file of each format per day.
const (
	quietMorning = "2025-11-08" // 5m windows; nothing before 12:00, so its first 288 rows are zero-filled
	busy         = "2025-11-09" // 5m windows; events from 00:00, latencies of 1 ns and 1 h
	noLatency    = "2025-11-10" // 5m windows; events all day, none with a latency
	lateStart    = "2025-11-11" // 10s windows, 3 groups; nothing before 20:00: 21,600 empty rows first
)

// typesFromSchema is docs/output.md's recipe: DuckDB's read_csv types for a
// table, in column order, from the schema a manifest carries.
const typesFromSchema = `SET VARIABLE types = (
  SELECT list_transform(schema, c -> CASE c.type
    WHEN 'timestamp_ms_utc' THEN 'TIMESTAMPTZ' WHEN 'string' THEN 'VARCHAR'
    WHEN 'int64' THEN 'BIGINT' WHEN 'float64' THEN 'DOUBLE' END)
  FROM read_json(%s))`

// parquetTypes is how DuckDB reads each schema type from Parquet (the
// column table of docs/output.md).
var parquetTypes = map[string]string{
	"timestamp_ms_utc": "TIMESTAMP WITH TIME ZONE",
	"string":           "VARCHAR",
	"int64":            "BIGINT",
	"float64":          "DOUBLE",
}

func event(lat time.Duration, status int32, user uint64) features.Event {
	e := features.Event{Status: status, Bytes: 512, HasBytes: true, Distinct: user, HasDistinct: true}
	if lat >= 0 {
		e.Latency, e.HasLatency = int64(lat), true
	}
	switch {
	case status >= 500:
		e.Level = features.LevelError
	case status >= 400:
		e.Level = features.LevelWarn
	}
	return e
}

// dayTable builds the dense table of one day from the events gen adds.
func dayTable(t *testing.T, date string, win time.Duration, gen func(add func(at time.Duration, group string, e features.Event))) []features.Row {
	t.Helper()
	start, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	p := features.NewPartial(win, 0)
	gen(func(at time.Duration, group string, e features.Event) {
		e.Time = start.Add(at).UnixNano()
		e.Group = []byte(features.EncodeGroup([]string{group}))
		p.Add(&e)
	})
	rows, err := p.Table(features.Window{Size: win}, features.TableOptions{From: start, To: start.Add(24 * time.Hour), Dense: true, Dims: 1})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func days(t *testing.T) map[string][]features.Row {
	const m = 5 * time.Minute
	return map[string][]features.Row{
		quietMorning: dayTable(t, quietMorning, m, func(add func(time.Duration, string, features.Event)) {
			for w := 144; w < 288; w++ {
				at := time.Duration(w)*m + time.Second
				if w == 150 {
					// 7 errors in 500: error_rate 0.014, the value DuckDB once
					// rounded to 0.
					for i := range 500 {
						add(at, "api", event(100*time.Millisecond, map[bool]int32{true: 500, false: 200}[i < 7], uint64(i)))
					}
					continue
				}
				// Integral latencies and statistics (100.0, 80.0, 0.0) that
				// were once written without a '.'.
				add(at, "api", event(80*time.Millisecond, 200, 1))
				add(at, "api", event(100*time.Millisecond, 200, 2))
				add(at, "api", event(120*time.Millisecond, 200, 3))
				if w%4 == 0 {
					add(at, "", event(50*time.Millisecond, 404, 4)) // the group-by field was missing
				}
			}
		}),
		busy: dayTable(t, busy, m, func(add func(time.Duration, string, features.Event)) {
			for w := range 288 {
				at := time.Duration(w) * m
				add(at, "api", event(1, 200, 1)) // 1e-06 ms; stddev 5e-07 ms
				add(at, "api", event(2, 200, 2))
				add(at, "web", event(time.Hour, 301, 3))
				add(at, "", event(0, 200, 4))
			}
		}),
		noLatency: dayTable(t, noLatency, m, func(add func(time.Duration, string, features.Event)) {
			for w := range 288 {
				add(time.Duration(w)*m, "api", event(-1, 200+int32(w%4)*100, uint64(w)))
			}
		}),
		lateStart: dayTable(t, lateStart, 10*time.Second, func(add func(time.Duration, string, features.Event)) {
			for at := 20 * time.Hour; at < 24*time.Hour; at += 10 * time.Second {
				add(at, "a", event(time.Millisecond, 200, 1))
				add(at, "b", event(2*time.Millisecond, 500, 2))
				add(at, "c", event(3*time.Millisecond, 200, 3))
			}
		}),
	}
}

// result is what DuckDB read: column names and types, and the rows ordered
// by window and group.
type result struct {
	names, types []string
	rows         [][]any
}

func read(t *testing.T, db *sql.DB, from string) result {
	t.Helper()
	var r result
	desc, err := db.Query("DESCRIBE SELECT * FROM " + from)
	if err != nil {
		t.Fatalf("describe %s: %v", from, err)
	}
	for desc.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := desc.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		r.names, r.types = append(r.names, name), append(r.types, typ)
	}
	if err := desc.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT * FROM " + from + " ORDER BY window_start, coalesce(service, '')")
	if err != nil {
		t.Fatalf("select from %s: %v", from, err)
	}
	defer rows.Close()
	for rows.Next() {
		row := make([]any, len(r.names))
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r.rows = append(r.rows, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// sameValue reports whether DuckDB read the same value from CSV (c) as from
// Parquet (p). Floats must be the same bits. A column DuckDB typed VARCHAR
// (an all-null sample) must still hold the float's exact text.
func sameValue(p, c any, emptyIsNull bool) bool {
	switch p := p.(type) {
	case nil:
		return c == nil
	case time.Time:
		c, ok := c.(time.Time)
		return ok && c.Equal(p)
	case float64:
		if s, ok := c.(string); ok {
			f, err := strconv.ParseFloat(s, 64)
			return err == nil && math.Float64bits(f) == math.Float64bits(p)
		}
		c, ok := c.(float64)
		return ok && math.Float64bits(c) == math.Float64bits(p)
	case string:
		if p == "" && c == nil && emptyIsNull {
			return true
		}
		return c == p
	default:
		return c == p
	}
}

// compare fails unless csv has parquet's column names and types — except
// that each column in vsVarchar must be VARCHAR in csv, no more and no fewer
// — and the same values. With emptyIsNull, an empty string in Parquet may be
// NULL in CSV (DuckDB's default allow_quoted_nulls).
func compare(t *testing.T, parquet, csv result, emptyIsNull bool, vsVarchar ...string) {
	t.Helper()
	if strings.Join(csv.names, ",") != strings.Join(parquet.names, ",") {
		t.Fatalf("csv columns %v, parquet %v", csv.names, parquet.names)
	}
	var varchar []string
	for i, name := range parquet.names {
		if csv.types[i] == parquet.types[i] {
			continue
		}
		if csv.types[i] != "VARCHAR" {
			t.Errorf("%s: csv reads as %s, parquet as %s", name, csv.types[i], parquet.types[i])
			continue
		}
		varchar = append(varchar, name)
	}
	if strings.Join(varchar, ",") != strings.Join(vsVarchar, ",") {
		t.Errorf("columns csv reads as VARCHAR where parquet does not: %v, want %v", varchar, vsVarchar)
	}
	if len(csv.rows) != len(parquet.rows) {
		t.Fatalf("csv has %d rows, parquet %d", len(csv.rows), len(parquet.rows))
	}
	bad := 0
	for i := range parquet.rows {
		for j, name := range parquet.names {
			p, c := parquet.rows[i][j], csv.rows[i][j]
			if !sameValue(p, c, emptyIsNull) {
				if bad++; bad <= 5 {
					t.Errorf("row %d (%v %q) %s: csv %T %v, parquet %T %v", i, parquet.rows[i][0], parquet.rows[i][2], name, c, c, p, p)
				}
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d values differ in all", bad)
	}
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func list(dir, ext string, dates []string) string {
	var l []string
	for _, d := range dates {
		l = append(l, lit(filepath.Join(dir, ext, d+"."+ext)))
	}
	return "[" + strings.Join(l, ", ") + "]"
}

// TestCSVReadsBackAsParquet writes each day in both formats and reads them
// back with DuckDB, one file and several, with read_csv's defaults and with
// the types docs/output.md gives, and compares CSV with Parquet.
func TestCSVReadsBackAsParquet(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"csv", "parquet"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for date, rows := range days(t) {
		var pq, cs bytes.Buffer
		if err := features.WriteParquet(&pq, cols, rows, nil); err != nil {
			t.Fatal(err)
		}
		if err := features.WriteCSV(&cs, cols, rows); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "parquet", date+".parquet"), pq.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "csv", date+".csv"), cs.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The schema as a manifest carries it.
	schema, err := json.Marshal(map[string]any{"schema": cols.Schema()})
	if err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(dir, "_manifest.json")
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // SET VARIABLE belongs to one connection
	var version string
	if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	t.Logf("DuckDB %s", version)
	if _, err := db.Exec(fmt.Sprintf(typesFromSchema, lit(schemaFile))); err != nil {
		t.Fatal(err)
	}

	var nullableFloats, latency []string
	for _, c := range cols.Schema() {
		if c.Type == "float64" {
			nullableFloats = append(nullableFloats, c.Name)
			if c.Name != "error_rate" {
				latency = append(latency, c.Name)
			}
		}
	}
	for _, tc := range []struct {
		name  string
		dates []string // or
		glob  string   // a pattern over the dates, without the extension
		// vsVarchar lists the columns that read_csv with its defaults reads
		// as VARCHAR because they are null in every row it samples (20,480
		// per file, of up to 10 files) of a file with more rows than that.
		// docs/output.md documents this.
		vsVarchar []string
	}{
		{name: "first windows empty", dates: []string{quietMorning}},
		{name: "busy", dates: []string{busy}},
		{name: "two days", dates: []string{quietMorning, busy}},
		{name: "two days glob", glob: "2025-11-0*"},
		{name: "all-null short file first", dates: []string{noLatency, busy}},
		{name: "no latency", dates: []string{noLatency}, vsVarchar: latency},
		{name: "21600 empty rows first", dates: []string{lateStart}, vsVarchar: nullableFloats},
		{name: "long all-null file outvotes the others", dates: []string{quietMorning, busy, lateStart}, vsVarchar: nullableFloats},
		{name: "every day glob", glob: "*", vsVarchar: nullableFloats},
	} {
		pq, cs := list(dir, "parquet", tc.dates), list(dir, "csv", tc.dates)
		if tc.glob != "" {
			pq, cs = lit(filepath.Join(dir, "parquet", tc.glob+".parquet")), lit(filepath.Join(dir, "csv", tc.glob+".csv"))
		}
		t.Run(tc.name, func(t *testing.T) {
			parquet := read(t, db, "read_parquet("+pq+")")
			for i, c := range cols.Schema() {
				if parquet.types[i] != parquetTypes[c.Type] {
					t.Errorf("parquet %s reads as %s, want %s", c.Name, parquet.types[i], parquetTypes[c.Type])
				}
			}
			t.Run("defaults", func(t *testing.T) {
				compare(t, parquet, read(t, db, "read_csv("+cs+")"), true, tc.vsVarchar...)
			})
			t.Run("types from schema", func(t *testing.T) {
				compare(t, parquet, read(t, db, "read_csv("+cs+", types = getvariable('types'), allow_quoted_nulls = false)"), false)
			})
		})
	}

	// 0.014 is written as such and DuckDB reads it as the same double.
	csvText, err := os.ReadFile(filepath.Join(dir, "csv", quietMorning+".csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(csvText, []byte(",0.014,")) {
		t.Error("no error_rate of 0.014 in the quiet morning's csv")
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM read_csv(" + list(dir, "csv", []string{quietMorning, busy}) + ") WHERE error_rate = 0.014 AND service = 'api'").Scan(&n); err != nil || n != 1 {
		t.Errorf("rows with error_rate = 0.014: %d, %v; want 1", n, err)
	}
}
