package iceberg_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table/iceberg"
)

// duckCheck reads the data files the current snapshot lists with DuckDB's
// read_parquet: the window bounds are TIMESTAMP WITH TIME ZONE, the other
// columns have the Parquet output's types, the row count is the files', and
// every cell equals the plain Parquet output (features.WriteParquet) of the
// same rows. Files on MinIO are copied to a local folder first (DuckDB's
// httpfs extension would be downloaded at run time).
func duckCheck(t *testing.T, tb *iceberg.Table, files []iceberg.File, written map[string][]features.Row) {
	t.Helper()
	ctx := context.Background()
	var paths []string
	var rows int64
	dir := t.TempDir()
	for i, f := range files {
		rows += f.Rows
		p, ok := strings.CutPrefix(f.URL, "file://")
		if !ok {
			b, err := tb.ReadFile(ctx, f.URL)
			if err != nil {
				t.Fatalf("read %s: %v", f.URL, err)
			}
			p = filepath.Join(dir, fmt.Sprintf("%d.parquet", i))
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		paths = append(paths, "'"+strings.ReplaceAll(p, "'", "''")+"'")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := "read_parquet([" + strings.Join(paths, ", ") + "])"
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + src).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Errorf("DuckDB counts %d rows, the snapshot lists %d", n, rows)
	}
	types := map[string]string{}
	q, err := db.Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + src + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for q.Next() {
		var name, typ string
		if err := q.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		types[name] = typ
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	// The plain Parquet output of the same rows, one file per date as the
	// Parquet layout has it, holds the same cells.
	var plain []string
	for d, rows := range written {
		var buf bytes.Buffer
		if err := features.WriteParquet(&buf, fullCols, rows, nil); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "plain-"+d+".parquet")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		plain = append(plain, "'"+p+"'")
	}
	var names []string
	for _, c := range fullCols.Schema() {
		names = append(names, `"`+c.Name+`"`)
	}
	sel := strings.Join(names, ", ")
	plainSrc := "read_parquet([" + strings.Join(plain, ", ") + "])"
	for what, q := range map[string]string{
		"rows only in the iceberg files":          "SELECT count(*) FROM (SELECT " + sel + " FROM " + src + " EXCEPT ALL SELECT " + sel + " FROM " + plainSrc + ")",
		"rows only in the plain Parquet output":   "SELECT count(*) FROM (SELECT " + sel + " FROM " + plainSrc + " EXCEPT ALL SELECT " + sel + " FROM " + src + ")",
		"plain Parquet rows minus the snapshot's": "SELECT count(*) - " + fmt.Sprint(rows) + " FROM " + plainSrc,
	} {
		var diff int64
		if err := db.QueryRow(q).Scan(&diff); err != nil {
			t.Fatal(err)
		}
		if diff != 0 {
			t.Errorf("%s: %d", what, diff)
		}
	}
	duckType := map[string]string{
		"timestamp_ms_utc": "TIMESTAMP WITH TIME ZONE", "string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE",
	}
	for _, c := range fullCols.Schema() {
		if want := duckType[c.Type]; types[c.Name] != want {
			t.Errorf("DuckDB reads %s as %q, want %q (all: %v)", c.Name, types[c.Name], want, types)
		}
	}
}
