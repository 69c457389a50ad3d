package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage/storagetest"
)

// Issue 25 item 5, for Iceberg tables: run and backfill --dry-run read
// the input and say which dates they would commit or replace (with the
// events of each and of the commit replaced), and write nothing — no
// catalog file, namespace, table, snapshot or data file — whether the
// catalog does not exist yet, holds the table, or is an explicit one on a
// namespace no run has made.
func TestIcebergDryRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "2000", "--days", "2"); code != 0 {
		t.Fatal(stderr)
	}
	const date = "2025-11-08"
	out := filepath.Join(dir, "out")
	// Every file with its size and modification time, and every folder:
	// opening the SQLite catalog to read it makes and removes its journal
	// files, which touches the folder's time, not what it holds.
	state := func(t *testing.T) []string {
		var got []string
		for _, l := range localState(out)(t) {
			if p, _, _ := strings.Cut(l, " "); isDir(p) {
				l = p + "/"
			}
			got = append(got, l)
		}
		return got
	}
	ice := []string{"--output", out, "--table-format", "iceberg"}
	mustRun := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := exe(t, nil, append(args, ice...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	dry := func(want []string, args ...string) {
		t.Helper()
		before := state(t)
		stdout := mustRun(append(args, "--dry-run")...)
		if after := state(t); !slices.Equal(before, after) {
			t.Errorf("%v --dry-run changed the output:\nbefore %q\nafter  %q", args, before, after)
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v --dry-run: no %q in\n%s", args, w, stdout)
			}
		}
	}
	// No catalog yet: none is made.
	dry([]string{"dry run", "would commit (288 rows", date}, "run", "--input", logs, "--date", date)
	dry([]string{"would_commit", "2025-11-09"}, "backfill", "--input", logs+"/{yyyy}/{mm}/{dd}/", "--from", date, "--to", "2025-11-09", "--json")
	if got := state(t); len(got) != 0 {
		t.Fatalf("the output exists after dry runs: %q", got)
	}
	// The table holds the date: a dry run would replace it, and says with
	// how many events; the snapshot stays.
	mustRun("run", "--input", logs, "--date", date)
	pin := mustRun("pin")
	dry([]string{"would replace run "}, "run", "--input", logs, "--date", date)
	dry([]string{`"status":"would_replace"`, `"replaces_events":`}, "run", "--input", logs, "--date", date, "--json")
	dry([]string{"would_replace", "would_commit"}, "backfill", "--input", logs+"/{yyyy}/{mm}/{dd}/", "--from", date, "--to", "2025-11-09", "--json")
	if again := mustRun("pin"); again != pin {
		t.Errorf("the table's snapshot changed under dry runs:\n%s\nthen\n%s", pin, again)
	}

	// An explicit catalog on a namespace no run has made: it stays absent.
	pg := storagetest.PostgresURL(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	ns := "dry" + hex.EncodeToString(b[:])
	out2 := filepath.Join(dir, "out2")
	args := []string{"run", "--input", logs, "--date", date, "--dry-run", "--output", out2, "--table-format", "iceberg", "--iceberg-catalog", pg, "--iceberg-namespace", ns}
	if stdout, stderr, code := exe(t, nil, args...); code != 0 || !strings.Contains(stdout, "would commit (288 rows") {
		t.Fatalf("dry run on an explicit catalog: exit %d: %s%s", code, stdout, stderr)
	}
	if got := localState(out2)(t); len(got) != 0 {
		t.Errorf("the warehouse exists after a dry run: %q", got)
	}
	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT (SELECT count(*) FROM iceberg_namespace_properties WHERE namespace = $1) + (SELECT count(*) FROM iceberg_tables WHERE table_namespace = $1)`, ns).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return // a fresh database: the dry run did not set the catalog up either
	}
	if err != nil || n != 0 {
		t.Errorf("namespace %s after a dry run: %d rows, %v", ns, n, err)
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
