package job_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

// spillInput writes objects of JSON lines over days UTC dates from
// 2025-11-07, in groups "g" of up to groups values, each object's events
// in no time order and over several dates, so that a range spilled once
// gets more events from later objects.
func spillInput(t *testing.T, dir string, objects, lines, days, groups int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2025, 11, 7, 0, 0, 0, 0, time.UTC)
	for o := range objects {
		var b bytes.Buffer
		for range lines {
			ts := start.Add(time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
			level := []string{"INFO", "INFO", "WARN", "ERROR"}[rng.IntN(4)]
			g := rng.IntN(groups)
			if rng.IntN(3) == 0 {
				g = rng.IntN(max(groups/10, 1)) // a few busy groups, with sketches
			}
			fmt.Fprintf(&b, `{"timestamp":%q,"level":%q,"latency_ms":%d,"g":"grp-%04d","u":"u%d"}`+"\n",
				ts.Format(time.RFC3339Nano), level, 1+rng.IntN(900), g, rng.IntN(50))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("obj-%02d.jsonl", o)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// spillConfig is the grouped run the spill tests compare, over windows,
// changed by set.
func spillConfig(in, out string, windows []string, set func(*settings.Config)) settings.Config {
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.Window = windows
	cfg.GroupBy = []string{"g"}
	cfg.DistinctField = "u"
	cfg.Format = []string{"parquet", "csv"}
	cfg.MaxBadRatio = 0.5
	cfg.AllowFewer = true
	set(&cfg)
	return cfg
}

// outputFiles are the data files under out, by path: a fresh output's
// commits, one file per partition and format.
func outputFiles(t *testing.T, out string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasPrefix(d.Name(), "part-") {
			return err
		}
		data, err := os.ReadFile(path)
		files[strings.TrimPrefix(path, out)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The aggregate spilled to disk, at any budget, worker count and split of
// the objects into byte ranges, gives byte-identical files to the run that
// held it all in memory: dense and sparse tables, tumbling and sliding
// windows, dated and undated runs over several days, a group cap.
func TestSpillGivesIdenticalOutput(t *testing.T) {
	in := t.TempDir()
	spillInput(t, in, 6, 1000, 3, 300, 1)
	type variant struct {
		name string
		set  func(*settings.Config)
	}
	variants := []variant{
		{"undated dense", func(c *settings.Config) {}},
		{"undated sparse", func(c *settings.Config) { c.Sparse = true }},
		{"dated", func(c *settings.Config) { c.Date = "2025-11-08" }},
		{"capped", func(c *settings.Config) { c.MaxGroups = 50 }},
	}
	rng := rand.New(rand.NewPCG(2, 3))
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			cfgFor := func(out string) settings.Config {
				return spillConfig(in, out, []string{"5m", "15m/5m", "2h"}, v.set)
			}
			ref := t.TempDir()
			cfg := cfgFor(ref)
			cfg.Workers = 1
			if _, err := job.Run(context.Background(), cfg, job.Options{SpillBudget: -1}); err != nil {
				t.Fatal(err)
			}
			want := outputFiles(t, ref)
			if len(want) == 0 {
				t.Fatal("the reference run committed nothing")
			}
			for i := range 3 {
				out := t.TempDir()
				spillDir := t.TempDir()
				cfg := cfgFor(out)
				cfg.Workers = 1 + rng.IntN(4)
				cfg.SplitBytes = []int64{0, 40_000, 100_000}[rng.IntN(3)]
				cfg.SpillDir = spillDir
				budget := int64(1+rng.IntN(64)) << 10
				sum, err := job.Run(context.Background(), cfg, job.Options{SpillBudget: budget})
				if err != nil {
					t.Fatalf("budget %d: %v", budget, err)
				}
				if sum.Spill == nil || sum.Spill.Spills == 0 {
					t.Fatalf("budget %d, try %d: nothing spilled", budget, i)
				}
				got := outputFiles(t, out)
				if len(got) != len(want) {
					t.Errorf("budget %d: %d files, want %d", budget, len(got), len(want))
				}
				sameFiles(t, fmt.Sprintf("budget %d, %d workers, split %d (%d spills)", budget, cfg.Workers, cfg.SplitBytes, sum.Spill.Spills), got, want)
				if left, _ := os.ReadDir(spillDir); len(left) != 0 {
					t.Errorf("spill folder holds %d entries after the run", len(left))
				}
			}
		})
	}
}

// A spill folder that cannot be written fails the run with exit 2 naming
// the folder, having committed nothing.
func TestSpillDirUnwritable(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	spillInput(t, in, 2, 500, 1, 100, 3)
	cfg := runConfig(in, out, settings.S3Settings{})
	cfg.GroupBy = []string{"g"}
	cfg.SpillDir = filepath.Join(t.TempDir(), "missing")
	_, err := job.Run(context.Background(), cfg, job.Options{SpillBudget: 1 << 10})
	if err == nil || failure.ExitCode(err) != 2 || !strings.Contains(err.Error(), cfg.SpillDir) {
		t.Fatalf("err = %v (exit %d), want exit 2 naming %s", err, failure.ExitCode(err), cfg.SpillDir)
	}
	if files := outputFiles(t, out); len(files) != 0 {
		t.Errorf("%d files committed", len(files))
	}
	var ce *settings.ConfigError
	_ = errors.As(err, &ce)
}

// cancelAt is a job.Progress that cancels the run when it enters a phase
// starting with prefix.
type cancelAt struct {
	prefix string
	cancel context.CancelFunc
}

func (c cancelAt) Phase(name string) {
	if strings.HasPrefix(name, c.prefix) {
		c.cancel()
	}
}
func (cancelAt) Retrying(int, error) {}
func (cancelAt) Listed(int, int64)   {}
func (cancelAt) Read(int64)          {}
func (cancelAt) ObjectDone()         {}

// A run interrupted after it spilled (Ctrl-C: its context cancelled)
// leaves nothing in the spill folder, as does one that fails.
func TestSpillRemovedOnInterrupt(t *testing.T) {
	in, out, spillDir := t.TempDir(), t.TempDir(), t.TempDir()
	spillInput(t, in, 4, 800, 2, 200, 5)
	for _, phase := range []string{"building tables", "committing", "gc"} {
		ctx, cancel := context.WithCancel(context.Background())
		cfg := runConfig(in, out, settings.S3Settings{})
		cfg.GroupBy, cfg.SpillDir, cfg.AllowFewer = []string{"g"}, spillDir, true
		_, err := job.Run(ctx, cfg, job.Options{SpillBudget: 1 << 10, Progress: cancelAt{phase, cancel}})
		cancel()
		if phase != "gc" && !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled at %q: err = %v, want it cancelled", phase, err)
		}
		if left, _ := os.ReadDir(spillDir); len(left) != 0 {
			t.Errorf("cancelled at %q: the spill folder holds %v", phase, left)
		}
	}
}
