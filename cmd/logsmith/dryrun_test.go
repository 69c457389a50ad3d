package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// outputState lists everything under an output: each object's key, size
// and version (an S3 ETag, a local file's modification time), and for a
// local output each folder, so that a folder created empty shows too.
type outputState func(t *testing.T) []string

func localState(dir string) outputState {
	return func(t *testing.T) []string {
		var out []string
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s %d %s", p, info.Size(), info.ModTime()))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func s3State(b *storage.S3) outputState {
	return func(t *testing.T) []string {
		var out []string
		if err := b.List(context.Background(), "", func(o storage.ObjectInfo) error {
			out = append(out, fmt.Sprintf("%s %d %s", o.Key, o.Size, o.ETag))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// Issue 25 item 5: --dry-run writes nothing, whatever the command (run
// undated and dated, a shard, a merge, a backfill, gc) and whatever the
// output holds (nothing yet, commits, partials, rejects), on a local
// folder and on MinIO; and it says what it would do: the partitions it
// would commit or replace with their events, and for gc exactly what gc
// then deletes.
func TestDryRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	logs := dir + "/logs"
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "2000", "--days", "2", "--bad-ratio", "0.005"); code != 0 {
		t.Fatal(stderr)
	}
	type backend struct {
		name, output string
		env          []string
		state        outputState
	}
	backends := []backend{{"local", dir + "/out", nil, localState(dir + "/out")}}
	if os.Getenv("LOGSMITH_TEST_S3") != "" || os.Getenv("CI") != "" {
		b, cfg := storagetest.NewBucket(t)
		backends = append(backends, backend{"minio", "s3://" + b.Bucket() + "/feat", s3Env(cfg), s3State(b)})
	} else {
		t.Log("MinIO part skipped: LOGSMITH_TEST_S3 unset (run scripts/minio.sh start)")
	}
	const date = "2025-11-08"
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			run := func(args ...string) (string, string, int) {
				t.Helper()
				return exe(t, be.env, append(args, "--output", be.output)...)
			}
			mustRun := func(args ...string) string {
				t.Helper()
				stdout, stderr, code := run(args...)
				if code != 0 {
					t.Fatalf("%v: exit %d: %s", args, code, stderr)
				}
				return stdout
			}
			dry := func(want []string, args ...string) {
				t.Helper()
				before := be.state(t)
				stdout := mustRun(append(args, "--dry-run")...)
				if after := be.state(t); !slices.Equal(before, after) {
					t.Errorf("%v --dry-run changed the output:\nbefore %q\nafter  %q", args, before, after)
				}
				for _, w := range want {
					if !strings.Contains(stdout, w) {
						t.Errorf("%v --dry-run: no %q in\n%s", args, w, stdout)
					}
				}
			}
			// Nothing yet: no folder is made, nothing committed.
			dry([]string{"dry run", "would commit (", date}, "run", "--input", logs)
			dry([]string{"would commit (288 rows"}, "run", "--input", logs, "--date", date)
			if got := be.state(t); len(got) != 0 {
				t.Fatalf("the output exists after dry runs: %q", got)
			}
			// Commits, rejects, an unmerged shard's partial.
			mustRun("run", "--input", logs, "--date", date)
			mustRun("run", "--input", logs, "--shard", "0/2", "--run", "sharded", "--date", date)
			dry([]string{"would replace run ", "committed: "}, "run", "--input", logs, "--date", date)
			dry([]string{"would replace run ", "would commit ("}, "run", "--input", logs)
			dry([]string{"would_replace", "dry_run"}, "run", "--input", logs, "--date", date, "--json")
			dry(nil, "run", "--input", logs, "--shard", "1/2", "--run", "sharded", "--date", date)
			mustRun("run", "--input", logs, "--shard", "1/2", "--run", "sharded", "--date", date)
			dry([]string{"would replace run "}, "merge", "--input", logs, "--run", "sharded", "--date", date)
			dry([]string{"would_replace", "would_commit"}, "backfill", "--input", logs+"/{yyyy}/{mm}/{dd}/", "--from", date, "--to", "2025-11-09")
			// gc: what it would delete is what it deletes.
			gc := []string{"gc", "--gc-grace", "0s", "--rejects-retention", "1ns"}
			mustRun("run", "--input", logs, "--date", date, "--shard", "0/2", "--run", "abandoned")
			before := be.state(t)
			stdout := mustRun(append(gc, "--dry-run")...)
			if after := be.state(t); !slices.Equal(before, after) {
				t.Errorf("gc --dry-run changed the output:\nbefore %q\nafter  %q", before, after)
			}
			var would []string
			for _, l := range strings.Split(stdout, "\n") {
				if k, ok := strings.CutPrefix(l, "would delete "); ok {
					would = append(would, k)
				}
			}
			if !slices.ContainsFunc(would, func(k string) bool { return strings.Contains(k, "_rejects/") }) ||
				!slices.ContainsFunc(would, func(k string) bool { return strings.Contains(k, "run=abandoned") }) {
				t.Errorf("gc --dry-run would delete %q; want the rejects and the abandoned partials", would)
			}
			stdout = mustRun(gc...)
			var deleted []string
			for _, l := range strings.Split(stdout, "\n") {
				if k, ok := strings.CutPrefix(l, "deleted "); ok {
					deleted = append(deleted, k)
				}
			}
			if !slices.Equal(would, deleted) {
				t.Errorf("gc --dry-run said %q, gc deleted %q", would, deleted)
			}
			// --dry-run is refused where it means nothing.
			if _, stderr, code := run("migrate", "--dry-run"); code != 2 || !strings.Contains(stderr, "LOGSMITH_DRY_RUN (--dry-run)") {
				t.Errorf("migrate --dry-run: exit %d, %s", code, stderr)
			}
		})
	}
}
