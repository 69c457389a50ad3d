package job_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table"
)

// A local input file replaced after the listing by a symlink (out of the
// input, to another input file, dangling) or by a named pipe fails the run
// at once with exit 3 naming it, like a symlink the listing meets: never
// retried until the deadline, never read through.
func TestFileReplacedBySymlinkAfterList(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside.jsonl")
	if err := os.WriteFile(outside, lines(50, 7), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		replace func(path string) error
	}{
		{"symlink out of the input", func(p string) error { return os.Symlink(outside, p) }},
		{"symlink to another input", func(p string) error { return os.Symlink("a.jsonl", p) }},
		{"dangling symlink", func(p string) error { return os.Symlink("nowhere.jsonl", p) }},
		{"named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.MkdirAll(in, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, minute := range map[string]int{"a.jsonl": 1, "b.jsonl": 2} {
				if err := os.WriteFile(filepath.Join(in, name), lines(10, minute), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := in + "-out"
			cfg := runConfig(in, out, settings.S3Settings{})
			cfg.Workers, cfg.ReadRetryDeadline = 1, 30*time.Second
			var retries atomic.Int64
			start := time.Now()
			_, err := job.Run(context.Background(), cfg, job.Options{Retries: &retries, AfterList: func(context.Context) {
				p := filepath.Join(in, "b.jsonl")
				if err := os.Remove(p); err != nil {
					t.Error(err)
				}
				if err := tc.replace(p); err != nil {
					t.Error(err)
				}
			}})
			if failure.ExitCode(err) != failure.ExitBadData || !errors.Is(err, storage.ErrNotRegular) || !strings.Contains(err.Error(), "b.jsonl") {
				t.Errorf("err = %v (exit %d), want exit 3 naming b.jsonl", err, failure.ExitCode(err))
			}
			if d := time.Since(start); retries.Load() != 0 || d > 10*time.Second {
				t.Errorf("%d retries in %v: a symlink is no transient failure", retries.Load(), d)
			}
			if _, err := os.Stat(filepath.Join(out, "5m")); err == nil {
				if l, err := storage.OpenLocal(out); err == nil {
					noManifest(t, l, out)
					l.Close()
				}
			}
		})
	}
}

// A key the store refuses (MinIO: an empty, "." or ".." segment, as
// s3://b/sp2//dbl or s3://b/x/../y make) is a bad URL: exit 2 at once,
// not retried until --retry-deadline and reported as a storage failure.
func TestKeysTheStoreRefuses(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	put(t, b, "in/a.jsonl", lines(10, 1))
	bucket := "s3://" + b.Bucket() + "/"
	for _, tc := range []struct{ in, out string }{
		{bucket + "in/", bucket + "sp2//dbl"},
		{bucket + "in/", bucket + "x/../y"},
		{bucket + "in/", bucket + "x/./y"},
		{bucket + "in//x/", bucket + "out"},
		{bucket + "in/../in/", bucket + "out"},
		{bucket + "in/", bucket + "k/" + strings.Repeat("k", 1100)},
	} {
		cfg := runConfig(tc.in, tc.out, s3Settings(c))
		cfg.Date, cfg.ReadRetryDeadline = "2025-11-08", 30*time.Second
		var retries atomic.Int64
		start := time.Now()
		_, err := job.Run(context.Background(), cfg, job.Options{Retries: &retries})
		name := tc.in + " -> " + tc.out
		if len(name) > 120 {
			name = name[:120] + "..."
		}
		if failure.ExitCode(err) != failure.ExitConfig || !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("%s: err = %v (exit %d), want exit 2, an invalid key", name, err, failure.ExitCode(err))
		}
		if d := time.Since(start); retries.Load() != 0 || d > 10*time.Second {
			t.Errorf("%s: %d retries in %v: a refused key is not transient", name, retries.Load(), d)
		}
	}
}

// A run whose manifest would be over the bound (too many input
// objects for one date) fails as bad data before writing anything: the
// commit in force stays, and no later read meets a manifest it cannot read.
func TestTooManyInputsForAManifest(t *testing.T) {
	in := t.TempDir()
	out := t.TempDir()
	write := func(n int) {
		for i := range n {
			if err := os.WriteFile(filepath.Join(in, "part-"+strings.Repeat("0", 3)+string(rune('a'+i%26))+string(rune('a'+i/26))+".jsonl"), lines(2, i%60), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts := job.Options{ManifestLimit: 32 << 10}
	write(5)
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Date = "2025-11-08"
	if _, err := job.Run(context.Background(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	snapshot := func() map[string]string {
		files := map[string]string{}
		err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			files[p] = string(data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	before := snapshot()
	write(200)
	var retries atomic.Int64
	opts.Retries = &retries
	_, err := job.Run(context.Background(), cfg, opts)
	if !errors.Is(err, table.ErrManifestTooLarge) || failure.ExitCode(err) != failure.ExitBadData || retries.Load() != 0 {
		t.Fatalf("run with too many inputs: %v (exit %d, %d retries), want ErrManifestTooLarge, exit %d, no retry", err, failure.ExitCode(err), retries.Load(), failure.ExitBadData)
	}
	if after := snapshot(); !maps.Equal(before, after) {
		t.Errorf("the refused run changed the output")
	}
	// A manifest over the bound in the output (written by hand, or by
	// another tool) is reported as such at once, not retried.
	var manifest string
	for p := range before {
		if strings.HasSuffix(p, "_manifest.json") {
			manifest = p
		}
	}
	if err := os.Truncate(manifest, table.MaxManifestBytes+1); err != nil { // sparse: no 256 MiB written
		t.Fatal(err)
	}
	_, err = job.Run(context.Background(), cfg, opts)
	if !errors.Is(err, table.ErrManifestTooLarge) || failure.ExitCode(err) != failure.ExitBadData || retries.Load() != 0 {
		t.Fatalf("run over an oversized manifest: %v (exit %d, %d retries), want ErrManifestTooLarge, exit %d, no retry", err, failure.ExitCode(err), retries.Load(), failure.ExitBadData)
	}
}
