package job_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

// Files whose names differ only in bytes that are not UTF-8 are separate
// inputs everywhere a run records them: in the manifest (see table's
// TestManifestURLsAreExact) and in the shard files a merge checks, where
// a\xff.jsonl and a\xfe.jsonl written as JSON would both be a\ufffd.jsonl:
// one unit covered twice.
func TestShardsNameInvalidUTF8Files(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	for name, ts := range map[string]string{"a\xff.jsonl": "10:00", "a\xfe.jsonl": "11:00", "b.jsonl": "12:00"} {
		line := `{"timestamp":"2025-11-08T` + ts + `:00Z","latency_ms":5}` + "\n"
		if err := os.WriteFile(filepath.Join(in, name), []byte(strings.Repeat(line, 3)), 0o644); err != nil {
			t.Skipf("this file system refuses the name %q: %v", name, err)
		}
	}
	for _, shards := range []int{1, 2, 3} {
		cfg := runConfig(in, filepath.Join(out, string(rune('0'+shards))), settings.S3Settings{})
		cfg.Date, cfg.RunID = "2025-11-08", "utf8"
		for i := range shards {
			c := cfg
			c.Shard = string(rune('0'+i)) + "/" + string(rune('0'+shards))
			if _, err := job.Run(context.Background(), c, job.Options{}); err != nil {
				t.Fatalf("%d shards: shard %d: %v", shards, i, err)
			}
		}
		sum, err := job.Merge(context.Background(), cfg, job.Options{})
		if err != nil {
			t.Fatalf("%d shards: merge: %v", shards, err)
		}
		if sum.Events != 9 || sum.Objects != 3 {
			t.Errorf("%d shards: %d events from %d objects, want 9 from 3", shards, sum.Events, sum.Objects)
		}
	}
}
