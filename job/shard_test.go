package job_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// shardFixture: generated gzip objects, plain objects large enough to be
// split into byte ranges, and one plain object with multi-byte UTF-8 and no
// final newline.
func shardFixture(t *testing.T) (*storage.S3, settings.S3Settings) {
	t.Helper()
	b, c := storagetest.NewBucket(t)
	s := s3Settings(c)
	start := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for _, g := range []settings.GenerateConfig{
		{Output: "s3://" + b.Bucket() + "/logs/gz", Objects: 3, Lines: 1500, Seed: 21, Gzip: true},
		{Output: "s3://" + b.Bucket() + "/logs/plain", Objects: 2, Lines: 4000, Seed: 22},
	} {
		g.Start, g.Days, g.S3, g.BadRatio = start, 1, s, 0.002
		if _, err := job.Generate(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	var u strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&u, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","latency_ms":%d,"service":"Zürich-日本-%d","msg":"🙂 ünïcödé"}`,
			i%24, i%60, (i*7)%60, 1+i%97, i%3)
		if i < 2999 {
			u.WriteByte('\n') // the last line has no newline
		}
	}
	put(t, b, "logs/utf8/2025/11/08/unicode.jsonl", []byte(u.String()))
	return b, s
}

func shardConfig(b *storage.S3, s settings.S3Settings, out string) settings.Config {
	cfg := runConfig("s3://"+b.Bucket()+"/logs/", "s3://"+b.Bucket()+"/"+out, s)
	cfg.Date = "2025-11-08"
	cfg.Window = []string{"5m", "15m/5m"}
	cfg.GroupBy = []string{"service"}
	cfg.Format = []string{"parquet", "csv"}
	cfg.SplitBytes = 150_000 // the plain objects become several ranges
	return cfg
}

// committedTables reads every table's committed files under out.
func committedTables(t *testing.T, b *storage.S3, out string) map[string][]byte {
	t.Helper()
	all := map[string][]byte{}
	for _, w := range []string{"5m", "15m-every-5m"} {
		for k, v := range committed(t, b, "s3://"+b.Bucket()+"/"+out+"/window="+w) {
			all[w+"/"+k] = v
		}
	}
	if len(all) != 4 {
		t.Fatalf("%d committed files under %s, want 4", len(all), out)
	}
	return all
}

func sameFiles(t *testing.T, what string, got, want map[string][]byte) {
	t.Helper()
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Errorf("%s: %s differs", what, k)
		}
	}
}

// A sharded run with any n gives byte-identical output to a single-process
// run, whether its shards and merge spill their aggregates (n = 3, 7) or
// not; so does reading objects as byte ranges instead of whole.
func TestShardedEqualsSingle(t *testing.T) {
	ctx := context.Background()
	b, s := shardFixture(t)
	whole := shardConfig(b, s, "whole")
	whole.SplitBytes = 0
	if _, err := job.Run(ctx, whole, job.Options{}); err != nil {
		t.Fatal(err)
	}
	want := committedTables(t, b, "whole")

	split := shardConfig(b, s, "split")
	sum, err := job.Run(ctx, split, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, "byte ranges vs whole objects", committedTables(t, b, "split"), want)
	if sum.Lines != 3*1500+2*4000+3000 || sum.Units < sum.Objects+6 {
		t.Errorf("lines = %d, %d units of %d objects: want the plain objects split", sum.Lines, sum.Units, sum.Objects)
	}

	for _, n := range []int{1, 2, 3, 7} {
		out := fmt.Sprintf("sharded-%d", n)
		runID := fmt.Sprintf("run-%d", n)
		var opts job.Options
		if n >= 3 {
			opts.SpillBudget = 8 << 10
		}
		for i := range n {
			cfg := shardConfig(b, s, out)
			cfg.Shard, cfg.RunID = fmt.Sprintf("%d/%d", i, n), runID
			if _, err := job.Run(ctx, cfg, opts); err != nil {
				t.Fatalf("shard %d/%d: %v", i, n, err)
			}
		}
		if ms, _ := listManifests(ctx, b, mustLoc(t, "s3://"+b.Bucket()+"/"+out+"/window=5m")); len(ms) != 0 {
			t.Fatalf("n=%d: shards committed a partition before the merge", n)
		}
		cfg := shardConfig(b, s, out)
		cfg.RunID = runID
		msum, err := job.Merge(ctx, cfg, opts)
		if err != nil {
			t.Fatalf("merge n=%d: %v", n, err)
		}
		// The merge writes every shard's panes to its spill file, under
		// any budget, rather than merging them in memory up to the
		// budget: at least one section of each shard.
		if msum.Spill == nil || msum.Spill.Sections < n {
			t.Errorf("n=%d: merge spilled %+v, want every shard's panes (budget %d)", n, msum.Spill, opts.SpillBudget)
		}
		if msum.Lines != sum.Lines || msum.Objects != sum.Objects {
			t.Errorf("n=%d: merged %d lines of %d objects, single run %d of %d", n, msum.Lines, msum.Objects, sum.Lines, sum.Objects)
		}
		sameFiles(t, fmt.Sprintf("n=%d", n), committedTables(t, b, out), want)
		if left := readAll(t, b, out+"/_partials/"); len(left) != 0 {
			t.Errorf("n=%d: %d partials left after the merge", n, len(left))
		}
	}
}

func mustLoc(t *testing.T, u string) settings.Location {
	loc, err := settings.ParseLocation(u)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A retried shard writes the same partial; a missing, duplicated or foreign
// shard is rejected by the merge.
func TestMergeRejectsBadShards(t *testing.T) {
	ctx := context.Background()
	b, s := shardFixture(t)
	mapRun := func(out, runID string, i, n int) {
		cfg := shardConfig(b, s, out)
		cfg.Shard, cfg.RunID = fmt.Sprintf("%d/%d", i, n), runID
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatalf("shard %d/%d of %s: %v", i, n, runID, err)
		}
	}
	key := func(out, runID string, i, n int) string {
		return fmt.Sprintf("%s/_partials/date=2025-11-08/run=%s/shard-%d-of-%d", out, runID, i, n)
	}
	for i := range 3 {
		mapRun("o", "A", i, 3)
		mapRun("o", "B", i, 3)
	}
	first := readAll(t, b, key("o", "A", 1, 3))[key("o", "A", 1, 3)]
	mapRun("o", "A", 1, 3) // a retried pod
	if again := readAll(t, b, key("o", "A", 1, 3))[key("o", "A", 1, 3)]; !bytes.Equal(first, again) {
		t.Error("re-running a shard wrote a different partial")
	}
	merge := func(runID string) error {
		cfg := shardConfig(b, s, "o")
		cfg.RunID = runID
		_, err := job.Merge(ctx, cfg, job.Options{})
		return err
	}
	shard0 := readAll(t, b, key("o", "A", 0, 3))[key("o", "A", 0, 3)]
	shardB1 := readAll(t, b, key("o", "B", 1, 3))[key("o", "B", 1, 3)]
	for _, tc := range []struct {
		name string
		set  func()
		code int
		want string
	}{
		{"missing", func() { _ = b.Delete(ctx, key("o", "A", 1, 3)) }, failure.ExitStorage, "missing"},
		{"duplicated", func() { put(t, b, key("o", "A", 1, 3), shard0) }, failure.ExitBadData, "duplicate"},
		{"from another run", func() { put(t, b, key("o", "A", 1, 3), shardB1) }, failure.ExitBadData, "belongs to run B"},
		{"another count", func() { put(t, b, key("o", "A", 1, 3), first); put(t, b, key("o", "A", 0, 2), shard0) }, failure.ExitBadData, "different counts"},
	} {
		tc.set()
		err := merge("A")
		if err == nil || failure.ExitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (exit %d), want exit %d mentioning %q", tc.name, err, failure.ExitCode(err), tc.code, tc.want)
		}
	}
	_ = b.Delete(ctx, key("o", "A", 0, 2))
	if ms, _ := listManifests(ctx, b, mustLoc(t, "s3://"+b.Bucket()+"/o/window=5m")); len(ms) != 0 {
		t.Fatal("a rejected merge committed")
	}
	if err := merge("A"); err != nil {
		t.Fatalf("merge of the restored shards: %v", err)
	}
	// A shard computed with another config is stale.
	for i := range 2 {
		cfg := shardConfig(b, s, "o")
		cfg.Shard, cfg.RunID, cfg.MaxGroups = fmt.Sprintf("%d/2", i), "C", 77
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := merge("C"); err == nil || !strings.Contains(err.Error(), "another config") {
		t.Errorf("merge with a different config: %v", err)
	}
	// Partials of runs that never merge are collected once older than grace.
	loc := mustLoc(t, "s3://"+b.Bucket()+"/o")
	if _, err := job.GC(ctx, b, loc, table.GCOptions{Now: time.Now(), Grace: time.Hour}); err != nil || len(readAll(t, b, "o/_partials/date=2025-11-08/run=C/")) != 2 {
		t.Fatalf("gc within grace removed partials: %v", err)
	}
	res, err := job.GC(ctx, b, loc, table.GCOptions{Now: time.Now().Add(2 * time.Hour), Grace: time.Hour})
	if err != nil || len(readAll(t, b, "o/_partials/")) != 0 {
		t.Errorf("gc after grace: %v %v, partials left %d", res, err, len(readAll(t, b, "o/_partials/")))
	}
}

// A spill folder that cannot be made does not fail a merge whose aggregate
// fits its budget, as it does not fail a single run of the same day: the
// merge then merges the shards' panes in memory, with the same files.
func TestMergeWithoutASpillFolder(t *testing.T) {
	ctx := context.Background()
	b, s := shardFixture(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(notDir, "spill") // under a file: no folder can be made
	whole := shardConfig(b, s, "whole")
	whole.SpillDir = bad
	if _, err := job.Run(ctx, whole, job.Options{}); err != nil {
		t.Fatalf("single run: %v", err)
	}
	for i := range 2 {
		cfg := shardConfig(b, s, "sharded")
		cfg.Shard, cfg.RunID, cfg.SpillDir = fmt.Sprintf("%d/2", i), "run-x", bad
		if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	cfg := shardConfig(b, s, "sharded")
	cfg.RunID, cfg.SpillDir = "run-x", bad
	sum, err := job.Merge(ctx, cfg, job.Options{})
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	if sum.Spill != nil {
		t.Errorf("merge spilled %+v with no folder", sum.Spill)
	}
	sameFiles(t, "merge without a spill folder", committedTables(t, b, "sharded"), committedTables(t, b, "whole"))
}
