package job_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// Each refusal is of the kind that says what its caller does — retry the
// store, wait for the input, look at fewer events, fix a setting — and
// keeps its exit code: the kinds that share exit 5 (the store failed, the
// input is not there yet, the run would commit fewer events) are told
// apart, not folded into one "storage" kind (issue 26 item 5).
func TestKindsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	const date = "2025-11-08"
	write := func(t *testing.T, dir, name string, data []byte) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dated := func(in, out string) settings.Config {
		cfg := runConfig(in, out, settings.S3Settings{})
		cfg.Date = date
		return cfg
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) error
		kind failure.Kind
		exit int
	}{
		{"no input objects", func(t *testing.T) error {
			in := t.TempDir()
			_, err := job.Run(ctx, dated(in, t.TempDir()), job.Options{})
			return err
		}, failure.KindNotReady, failure.ExitStorage},
		{"no event of the date", func(t *testing.T) error {
			in := t.TempDir()
			write(t, in, "a.jsonl", []byte(`{"timestamp":"2025-11-01T10:00:00Z","level":"INFO","latency_ms":1}`+"\n"))
			_, err := job.Run(ctx, dated(in, t.TempDir()), job.Options{})
			return err
		}, failure.KindNotReady, failure.ExitStorage},
		{"merge before any shard", func(t *testing.T) error {
			cfg := dated(t.TempDir(), t.TempDir())
			cfg.RunID = "r1"
			_, err := job.Merge(ctx, cfg, job.Options{})
			return err
		}, failure.KindNotReady, failure.ExitStorage},
		{"fewer events than the commit", func(t *testing.T) error {
			in, out := t.TempDir(), t.TempDir()
			write(t, in, "a.jsonl", lines(20, 1))
			write(t, in, "b.jsonl", lines(20, 2))
			if _, err := job.Run(ctx, dated(in, out), job.Options{}); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(in, "b.jsonl")); err != nil {
				t.Fatal(err)
			}
			_, err := job.Run(ctx, dated(in, out), job.Options{})
			return err
		}, failure.KindFewerEvents, failure.ExitStorage},
		{"the store failed (missing bucket)", func(t *testing.T) error {
			s3cfg := storagetest.S3Config(t)
			s := settings.S3Settings{Endpoint: s3cfg.Endpoint, Region: s3cfg.Region, AccessKey: s3cfg.AccessKey, SecretKey: s3cfg.SecretKey, Insecure: s3cfg.Insecure}
			cfg := runConfig("s3://logsmith-no-such-bucket/in/", t.TempDir(), s)
			cfg.Date = date
			_, err := job.Run(ctx, cfg, job.Options{})
			if !errors.Is(err, storage.ErrNotExist) {
				t.Errorf("err = %v, want one wrapping storage.ErrNotExist", err)
			}
			return err
		}, failure.KindRetry, failure.ExitStorage},
		{"a bad setting", func(t *testing.T) error {
			cfg := dated(t.TempDir(), t.TempDir())
			cfg.Workers = -1
			_, err := job.Run(ctx, cfg, job.Options{})
			return err
		}, failure.KindBadSetting, failure.ExitConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			if err == nil {
				t.Fatal("no error")
			}
			if k, code := failure.KindOf(err), failure.ExitCode(err); k != tc.kind || code != tc.exit {
				t.Errorf("%v: kind %d, exit %d; want kind %d, exit %d", err, k, code, tc.kind, tc.exit)
			}
		})
	}
}
