package globtest

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// `logsmith files` lists exactly the committed data objects: DuckDB reading
// that list sees the rows the manifests commit, for every table and format,
// after reruns that changed the rows.
func TestFilesListIsTheCommittedRows(t *testing.T) {
	in1, in2 := inputs(t)
	out := filepath.Join(t.TempDir(), "out")
	for _, v := range []variant{
		{name: "first", in: in1, windows: "5m,1h"},
		{name: "rerun", in: in2, windows: "5m,1h"},
	} {
		cfg := settings.Config{}
		if err := settings.ParseEnv(&cfg, v.env(out, "", nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
	}
	b, err := storage.NewLocal(out)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := table.NewOutput(b, "").Tables(context.Background())
	if err != nil || len(tables) != 2 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d := &duck{db: db}
	for _, tb := range tables {
		ms, err := tb.Manifests(context.Background())
		if err != nil || len(ms) != len(dates) {
			t.Fatalf("%s: %d manifests, %v", tb.Window, len(ms), err)
		}
		var rows int64
		for _, m := range ms {
			rows += int64(m.Rows)
		}
		for _, format := range formats {
			cmd := exec.Command(binary, "files", "--output", out, "--window", tb.Window, "--format", format)
			listed, err := cmd.Output()
			if err != nil {
				var stderr []byte
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = ee.Stderr
				}
				t.Fatalf("files: %v: %s", err, stderr)
			}
			var paths []string
			for _, u := range strings.Fields(string(listed)) {
				p, ok := strings.CutPrefix(u, "file://")
				if !ok {
					t.Fatalf("files printed %q, want file:// URLs", u)
				}
				paths = append(paths, sqlString(p))
			}
			if len(paths) != len(dates) {
				t.Fatalf("%s %s: files listed %v, want one per date", tb.Window, format, paths)
			}
			reader := "read_parquet([" + strings.Join(paths, ",") + "])"
			if format == "csv" {
				reader = "read_csv([" + strings.Join(paths, ",") + "])"
			}
			c, err := d.total(reader)
			if err != nil {
				t.Fatal(err)
			}
			if c.Rows != rows {
				t.Errorf("%s %s: DuckDB reads %d rows from the listed files, the manifests commit %d", tb.Window, format, c.Rows, rows)
			}
		}
	}
}
