package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
	_ "github.com/duckdb/duckdb-go/v2"
)

// pinned is a line of `logsmith pin --json`.
type pinned struct {
	Table            string   `json:"table"`
	SnapshotID       int64    `json:"snapshot_id"`
	SnapshotIDStr    string   `json:"snapshot_id_str"`
	MetadataLocation string   `json:"metadata_location"`
	Dates            []string `json:"dates"`
}

// pinInputs writes n dates of events, one folder a date, and returns the
// backfill template and the dates.
func pinInputs(t *testing.T, n int) (string, []string) {
	t.Helper()
	root := t.TempDir()
	var dates []string
	for i := range n {
		d := fmt.Sprintf("2025-11-%02d", 8+i)
		dir := filepath.Join(root, "2025", "11", d[8:])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), eventsAt(d, 1+i, 0, 60+10*i), 0o644); err != nil {
			t.Fatal(err)
		}
		dates = append(dates, d)
	}
	return root + "/{yyyy}/{mm}/{dd}/", dates
}

// `logsmith pin` prints the table's current snapshot, which holds every
// committed date, after a parallel backfill under the most aggressive
// expiry (which every date survives, exit 0). Read with time travel through
// the metadata file it prints (as DuckDB's iceberg_scan does, without the
// catalog), that snapshot returns every date's rows, cell for cell the
// hive layout's. The hive layout has no snapshot: pin says to use files
// --json.
func TestIcebergPin(t *testing.T) {
	in, dates := pinInputs(t, 4)
	hive, ice := t.TempDir(), t.TempDir()
	bf := []string{"backfill", "--input", in, "--from", dates[0], "--to", dates[len(dates)-1], "--parallel", "4", "--quiet"}
	if _, stderr, code := exe(t, nil, append(bf, "--output", hive)...); code != 0 {
		t.Fatalf("hive backfill: exit %d: %s", code, stderr)
	}
	iceFlags := []string{"--output", ice, "--table-format", "iceberg"}
	aggressive := []string{"--iceberg-keep-snapshots", "1", "--iceberg-snapshot-retention", "0s"}
	if _, stderr, code := exe(t, nil, slices.Concat(bf, iceFlags, aggressive)...); code != 0 {
		t.Fatalf("iceberg backfill, keep 1, retention 0s: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := exe(t, nil, slices.Concat([]string{"pin", "--json"}, iceFlags)...)
	if code != 0 {
		t.Fatalf("pin --json: exit %d: %s%s", code, stdout, stderr)
	}
	var p pinned
	if err := json.Unmarshal([]byte(stdout), &p); err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("pin --json printed %q (%v); want one line for the one table", stdout, err)
	}
	id, err := strconv.ParseInt(p.SnapshotIDStr, 10, 64)
	if err != nil || id == 0 || id != p.SnapshotID || p.Table != "logsmith.features_5m" || !slices.Equal(p.Dates, dates) {
		t.Fatalf("pin %+v: want the current snapshot as a string, covering %v", p, dates)
	}
	got := readPinned(t, p.MetadataLocation, id)
	for _, d := range dates {
		want := duckRows(t, "read_parquet('"+filepath.Join(hive, "date="+d, "part-00000.parquet")+"')")
		if len(want) == 0 || !slices.Equal(got[d], want) {
			t.Errorf("date %s: the pinned snapshot reads %d rows, the hive layout %d", d, len(got[d]), len(want))
		}
	}
	if len(got) != len(dates) {
		t.Errorf("the pinned snapshot holds dates %v, want %v", slices.Sorted(func(yield func(string) bool) {
			for d := range got {
				if !yield(d) {
					return
				}
			}
		}), dates)
	}
	// Text: the same id, whole.
	stdout, _, code = exe(t, nil, slices.Concat([]string{"pin"}, iceFlags)...)
	if code != 0 || !strings.Contains(stdout, p.SnapshotIDStr) || !strings.Contains(stdout, p.MetadataLocation) {
		t.Errorf("pin: exit %d: %s; want snapshot %s and %s", code, stdout, p.SnapshotIDStr, p.MetadataLocation)
	}
	if _, stderr, code := exe(t, nil, "pin", "--output", hive); code != 2 || !strings.Contains(stderr, "files --json") {
		t.Errorf("pin of the hive layout: exit %d: %s; want a config error pointing to files --json", code, stderr)
	}
	if _, stderr, code := exe(t, nil, slices.Concat([]string{"pin", "--date", dates[0]}, iceFlags)...); code != 2 || !strings.Contains(stderr, "LOGSMITH_DATE") {
		t.Errorf("pin --date: exit %d: %s; want it refused", code, stderr)
	}
	if _, _, code := exe(t, nil, "pin", "--output", filepath.Join(t.TempDir(), "none"), "--table-format", "iceberg"); code != 5 {
		t.Errorf("pin of an output without tables: exit %d, want 5", code)
	}
}

// readPinned reads snapshot id from the metadata file at loc alone (no
// catalog): iceberg-go plans the snapshot's data files, DuckDB reads them.
// DuckDB's own iceberg extension would be downloaded at run time, which
// the tests cannot. It returns the rows by date (of window_start).
func readPinned(t *testing.T, loc string, id int64) map[string][]string {
	t.Helper()
	ctx := context.Background()
	tbl, err := icetable.NewFromLocation(ctx, []string{"pinned"}, loc, iceio.LoadFSFunc(nil, loc), nil)
	if err != nil {
		t.Fatalf("open the pinned metadata file %s: %v", loc, err)
	}
	tasks, err := tbl.Scan(icetable.WithSnapshotID(id)).PlanFiles(ctx)
	if err != nil {
		t.Fatalf("plan snapshot %d of %s: %v", id, loc, err)
	}
	var files []string
	for _, task := range tasks {
		if f := "'" + strings.TrimPrefix(task.File.FilePath(), "file://") + "'"; !slices.Contains(files, f) {
			files = append(files, f)
		}
	}
	byDate := map[string][]string{}
	for _, r := range duckRows(t, "read_parquet(["+strings.Join(files, ",")+"])") {
		d := r[:10]
		byDate[d] = append(byDate[d], r)
	}
	return byDate
}

// duckRows reads rows with DuckDB as sorted text, window_start first as
// a UTC date and time, so that TIMESTAMP and TIMESTAMP WITH TIME ZONE
// compare.
func duckRows(t *testing.T, src string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `SELECT concat_ws('|', strftime(make_timestamp(epoch_us(window_start)), '%Y-%m-%d %H:%M:%S'), epoch_us(window_end),
		*COLUMNS(* EXCLUDE (window_start, window_end))) AS r FROM ` + src + ` ORDER BY r`
	rs, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var r string
		if err := rs.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every snapshot id in the JSON the commands print has a string twin
// (snapshot_id_str beside snapshot_id): ids exceed 2^53, where jq 1.6 and
// JavaScript round numbers. The numbers stay for existing consumers.
func TestIcebergJSONIDsAsStrings(t *testing.T) {
	in, dates := pinInputs(t, 2)
	ice := []string{"--output", t.TempDir(), "--table-format", "iceberg"}
	outputs := map[string]string{}
	for _, d := range dates {
		stdout, stderr, code := exe(t, nil, slices.Concat([]string{"run", "--input", strings.NewReplacer("{yyyy}", "2025", "{mm}", "11", "{dd}", d[8:]).Replace(in),
			"--date", d, "--json", "--quiet"}, ice)...)
		if code != 0 {
			t.Fatalf("run %s: exit %d: %s", d, code, stderr)
		}
		outputs["run --json "+d] = stdout
	}
	for name, args := range map[string][]string{
		"ls --json": {"ls", "--json"},
		"show":      {"show", "--date", dates[0]},
		"pin":       {"pin", "--json"},
	} {
		stdout, stderr, code := exe(t, nil, slices.Concat(args, ice)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		outputs[name] = stdout
	}
	for name, out := range outputs {
		dec := json.NewDecoder(strings.NewReader(out))
		dec.UseNumber()
		ids := 0
		for dec.More() {
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%s: %v in %s", name, err, out)
			}
			ids += checkIDStrings(t, name, v)
		}
		if ids == 0 {
			t.Errorf("%s printed no snapshot id: %s", name, out)
		}
	}
}

// checkIDStrings checks that every number under a key ending in
// snapshot_id has a sibling key_str with the same digits, and counts them.
func checkIDStrings(t *testing.T, name string, v any) int {
	n := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			n += checkIDStrings(t, name, e)
		}
	case map[string]any:
		for k, e := range v {
			if num, ok := e.(json.Number); ok && strings.HasSuffix(k, "snapshot_id") {
				n++
				if s, _ := v[k+"_str"].(string); s != num.String() {
					t.Errorf("%s: %s is %s, %s_str is %q; want the same digits as a string", name, k, num, k, v[k+"_str"])
				}
			}
			n += checkIDStrings(t, name, e)
		}
	}
	return n
}
