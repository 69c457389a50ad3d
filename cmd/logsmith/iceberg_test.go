package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage/storagetest"
)

// The binary commits Iceberg tables and lists, shows, lists the files of
// and collects them: every output command works on --table-format iceberg,
// and a run's --json summary gives the snapshot id that show prints.
func TestIcebergCommands(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, eventsAt("2025-11-08", 10, 0, 120), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ice := []string{"--output", out, "--table-format", "iceberg"}
	run := append([]string{"run", "--input", in, "--date", "2025-11-08", "--json", "--quiet"}, ice...)
	stdout, stderr, code := exe(t, nil, run...)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	var sum struct {
		RunID      string `json:"run_id"`
		Partitions []struct {
			Status     string `json:"status"`
			SnapshotID int64  `json:"snapshot_id"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || len(sum.Partitions) != 1 || sum.Partitions[0].SnapshotID == 0 {
		t.Fatalf("summary %s: want one partition with a snapshot id (%v)", stdout, err)
	}
	snap := sum.Partitions[0].SnapshotID

	stdout, stderr, code = exe(t, nil, append([]string{"ls"}, ice...)...)
	if code != 0 || !strings.Contains(stdout, "features_5m") || !strings.Contains(stdout, sum.RunID) {
		t.Errorf("ls: exit %d: %s%s", code, stdout, stderr)
	}
	stdout, stderr, code = exe(t, nil, append([]string{"show", "--date", "2025-11-08"}, ice...)...)
	var shown struct {
		Table      string `json:"table"`
		SnapshotID int64  `json:"snapshot_id"`
		Events     int64  `json:"events"`
		RunID      string `json:"run_id"`
		Metadata   string `json:"metadata_location"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &shown) != nil || shown.SnapshotID != snap || shown.Events != 120 ||
		shown.RunID != sum.RunID || !strings.HasSuffix(shown.Metadata, ".metadata.json") {
		t.Errorf("show: exit %d: %s%s; want snapshot %d with 120 events", code, stdout, stderr, snap)
	}
	if _, _, code := exe(t, nil, append([]string{"show", "--date", "2025-11-09"}, ice...)...); code == 0 {
		t.Error("show of a date never committed exits 0")
	}
	stdout, stderr, code = exe(t, nil, append([]string{"files"}, ice...)...)
	files := strings.Fields(stdout)
	if code != 0 || len(files) != 1 || !strings.HasSuffix(files[0], ".parquet") {
		t.Fatalf("files: exit %d: %s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(strings.TrimPrefix(files[0], "file://")); err != nil {
		t.Errorf("files lists %s: %v", files[0], err)
	}
	// A rerun replaces the date; gc keeps the current snapshot's file.
	if _, stderr, code := exe(t, nil, run...); code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = exe(t, nil, append([]string{"gc", "--json", "--iceberg-snapshot-retention", "0s", "--iceberg-keep-snapshots", "1"}, ice...)...)
	if code != 0 || !strings.Contains(stdout, `"expired_snapshots":1`) {
		t.Errorf("gc: exit %d: %s%s", code, stdout, stderr)
	}
	// Another date's commit, then gc keeping one snapshot: the snapshot
	// that committed 2025-11-08 expires, and show names the current one,
	// which still holds that date's rows.
	in2 := filepath.Join(t.TempDir(), "in2.jsonl")
	if err := os.WriteFile(in2, eventsAt("2025-11-09", 8, 0, 30), 0o644); err != nil {
		t.Fatal(err)
	}
	next := append([]string{"run", "--input", in2, "--date", "2025-11-09", "--quiet"}, ice...)
	if _, stderr, code := exe(t, nil, next...); code != 0 {
		t.Fatalf("run of the next date: exit %d: %s", code, stderr)
	}
	if _, stderr, code := exe(t, nil, append([]string{"gc", "--iceberg-snapshot-retention", "0s", "--iceberg-keep-snapshots", "1"}, ice...)...); code != 0 {
		t.Fatalf("gc: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = exe(t, nil, append([]string{"show", "--date", "2025-11-08"}, ice...)...)
	var after struct {
		SnapshotID     int64 `json:"snapshot_id"`
		ReadSnapshotID int64 `json:"read_snapshot_id"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &after) != nil || after.ReadSnapshotID == 0 || after.ReadSnapshotID == after.SnapshotID {
		t.Errorf("show after expiry: exit %d: %s%s; want read_snapshot_id naming the current snapshot, not the expired commit's", code, stdout, stderr)
	}
	stdout, _, _ = exe(t, nil, append([]string{"files"}, ice...)...)
	for _, f := range strings.Fields(stdout) {
		if _, err := os.Stat(strings.TrimPrefix(f, "file://")); err != nil {
			t.Errorf("after gc the current snapshot's file %s is gone: %v", f, err)
		}
	}
	if _, stderr, code := exe(t, nil, append([]string{"migrate"}, ice...)...); code != 2 || !strings.Contains(stderr, "LOGSMITH_TABLE_FORMAT") {
		t.Errorf("migrate on Iceberg tables: exit %d: %s; want a config error", code, stderr)
	}
	if _, stderr, code := exe(t, nil, "ls", "--output", "s3://bucket/x", "--table-format", "iceberg"); code != 2 || !strings.Contains(stderr, "ICEBERG_CATALOG") {
		t.Errorf("ls of an s3:// output without a catalog: exit %d: %s", code, stderr)
	}
	if _, stderr, code := exe(t, nil, append([]string{"gc", "--date", "2025-11-08"}, ice...)...); code != 2 || !strings.Contains(stderr, "LOGSMITH_DATE") {
		t.Errorf("gc --date on Iceberg tables: exit %d: %s; want it refused", code, stderr)
	}
	// A mistyped output is an empty one: nothing is created.
	typo := filepath.Join(t.TempDir(), "typo")
	for _, cmd := range []string{"ls", "files", "gc"} {
		if _, stderr, code := exe(t, nil, cmd, "--output", typo, "--table-format", "iceberg"); code != 0 {
			t.Errorf("%s of a missing output: exit %d: %s", cmd, code, stderr)
		}
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Errorf("ls, files and gc created %s (%v)", typo, err)
	}
	// A catalog password is never shown, however it is spelled.
	for _, cat := range []string{"postgres://u:hunter2@127.0.0.1:1/db", "postgres://u@127.0.0.1:1/db?password=hunter2",
		"host=127.0.0.1 port=1 user=u password=hunter2", "postgres:/u:hunter2@db/lake"} {
		stdout, stderr, code := exe(t, nil, "run", "--input", in, "--date", "2025-11-08", "--output", t.TempDir(),
			"--table-format", "iceberg", "--iceberg-catalog", cat, "--retry-deadline", "1s")
		if code == 0 || strings.Contains(stdout+stderr, "hunter2") {
			t.Errorf("catalog %q: exit %d, output shows the password: %s%s", cat, code, stdout, stderr)
		}
	}
}

// The commands that read Iceberg tables (and gc, which changes only tables
// that exist) create nothing in an explicit catalog: on a namespace it does
// not have, they find no table and leave the namespace absent (a catalog
// user that may only read can run them).
func TestIcebergReadCommandsCreateNothing(t *testing.T) {
	pg := storagetest.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	ns := "ro" + hex.EncodeToString(b[:])
	out := t.TempDir()
	ice := []string{"--output", out, "--table-format", "iceberg", "--iceberg-catalog", pg, "--iceberg-namespace", ns}
	for _, cmd := range [][]string{{"ls"}, {"show", "--date", "2025-11-08"}, {"files"}, {"gc"}} {
		stdout, stderr, code := exe(t, nil, append(cmd, ice...)...)
		// On a database no run has set up (CI's fresh one, when this test
		// runs first) they fail, saying so, rather than report nothing.
		fresh := code == 5 && strings.Contains(stderr, "no Iceberg catalog tables")
		if code != 0 && !fresh && !(cmd[0] == "show" && code == 5) {
			t.Errorf("%s: exit %d: %s%s", cmd[0], code, stdout, stderr)
		}
	}
	// iceberg-go's SQL catalog keeps a namespace as rows of these tables.
	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT (SELECT count(*) FROM iceberg_namespace_properties WHERE namespace = $1) + (SELECT count(*) FROM iceberg_tables WHERE table_namespace = $1)`, ns).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return // a fresh database: no run has created the catalog's tables, nor did these commands
	}
	if err != nil || n != 0 {
		t.Errorf("namespace %s after the read commands: %d rows, %v", ns, n, err)
	}
}
