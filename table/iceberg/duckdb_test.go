package iceberg_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/logsmith/logsmith/table/iceberg"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// duckCheck reads the data files the current snapshot lists with DuckDB's
// read_parquet: the window bounds are TIMESTAMP WITH TIME ZONE, the other
// columns have the Parquet output's types, and the row count is the files'.
// Files on MinIO are copied to a local folder first (DuckDB's httpfs
// extension would be downloaded at run time).
func duckCheck(t *testing.T, tb *iceberg.Table, s setup, files []iceberg.File) {
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
	for col, want := range map[string]string{
		"window_start": "TIMESTAMP WITH TIME ZONE", "window_end": "TIMESTAMP WITH TIME ZONE",
		"service": "VARCHAR", "method": "VARCHAR", "request_count": "BIGINT", "error_rate": "DOUBLE",
		"latency_p99_ms": "DOUBLE", "distinct_count": "BIGINT",
	} {
		if types[col] != want {
			t.Errorf("DuckDB reads %s as %q, want %q (all: %v)", col, types[col], want, types)
		}
	}
}
