package job_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

// edgeInput writes objects of JSON lines about midnight of 2025-11-08
// and on range boundaries: events at exact hour and day starts, a
// nanosecond before them, high-cardinality distinct values in a few
// groups, and bad lines.
func edgeInput(t *testing.T, dir string, objects, lines, groups int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 11))
	mid := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for o := range objects {
		var b bytes.Buffer
		for i := range lines {
			var ts time.Time
			switch rng.IntN(4) {
			case 0: // on an hour boundary, or a nanosecond before
				ts = mid.Add(time.Duration(rng.IntN(49)-24) * time.Hour)
				if rng.IntN(2) == 0 {
					ts = ts.Add(-time.Nanosecond)
				}
			case 1: // a few minutes about midnight
				ts = mid.Add(time.Duration(rng.Int64N(int64(40*time.Minute))) - 20*time.Minute)
			default: // anywhere on the two days
				ts = mid.Add(time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour)
			}
			if i%97 == 0 {
				b.WriteString("{not json\n")
				continue
			}
			g := rng.IntN(groups)
			u := rng.IntN(50)
			if g < 2 {
				u = rng.IntN(1 << 30) // many distinct values: dense HLLs
			}
			fmt.Fprintf(&b, `{"timestamp":%q,"level":"INFO","latency_ms":%d.%03d,"g":"grp-%04d","u":"u%d"}`+"\n",
				ts.Format(time.RFC3339Nano), rng.IntN(900), rng.IntN(1000), g, u)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("obj-%02d.jsonl", o)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpillEdgesIdentical(t *testing.T) {
	in := t.TempDir()
	edgeInput(t, in, 5, 1200, 200, 1)
	type variant struct {
		name string
		set  func(*settings.Config)
	}
	undatedDense := variant{"undated dense", func(c *settings.Config) {}}
	undatedSparse := variant{"undated sparse", func(c *settings.Config) { c.Sparse = true }}
	datedDense := variant{"dated dense", func(c *settings.Config) { c.Date = "2025-11-08" }}
	datedSparse := variant{"dated sparse", func(c *settings.Config) { c.Date = "2025-11-07"; c.Sparse = true }}
	// Each window kind (tumbling, hopping, several specs, sub-minute hops)
	// with the layouts it can meet; TestSpillGivesIdenticalOutput has the
	// undated dense run of several windows. The dense sub-minute day
	// (86,400 windows) is left out for its time, its sparse form stays.
	cases := []struct {
		ws []string
		vs []variant
	}{
		{[]string{"1m"}, []variant{undatedSparse, datedDense, datedSparse}},
		{[]string{"24h/1h"}, []variant{undatedDense, datedSparse}},
		{[]string{"25m/10m", "15m/5m", "1h"}, []variant{undatedSparse, datedDense}},
		{[]string{"7s/1s"}, []variant{datedSparse}},
	}
	for _, c := range cases {
		ws := c.ws
		for _, v := range c.vs {
			t.Run(fmt.Sprint(ws)+" "+v.name, func(t *testing.T) {
				cfgFor := func(out string) settings.Config {
					return spillConfig(in, out, ws, v.set)
				}
				// The reference reads the same units (quality is apportioned
				// per unit), with one worker and nothing spilled.
				ref := t.TempDir()
				cfg := cfgFor(ref)
				cfg.Workers, cfg.SplitBytes = 1, 50_000
				wantSum, err := job.Run(context.Background(), cfg, job.Options{SpillBudget: -1})
				if err != nil {
					t.Fatal(err)
				}
				want := outputFiles(t, ref)
				// Every cell spilled, by three workers; some spilled, by one.
				for _, run := range []struct {
					budget  int64
					workers int
				}{{1, 3}, {5000, 1}} {
					budget, workers := run.budget, run.workers
					out, spillDir := t.TempDir(), t.TempDir()
					cfg := cfgFor(out)
					cfg.Workers, cfg.SpillDir, cfg.SplitBytes = workers, spillDir, 50_000
					sum, err := job.Run(context.Background(), cfg, job.Options{SpillBudget: budget})
					if err != nil {
						t.Fatalf("budget %d: %v", budget, err)
					}
					got := outputFiles(t, out)
					if len(got) != len(want) {
						t.Errorf("budget %d: %d files, want %d", budget, len(got), len(want))
					}
					sameFiles(t, fmt.Sprintf("budget %d, %d workers", budget, workers), got, want)
					for _, f := range []struct {
						name      string
						got, want any
					}{
						{"lines", sum.Lines, wantSum.Lines}, {"events", sum.Events, wantSum.Events},
						{"bad", sum.BadLines, wantSum.BadLines}, {"bad by reason", sum.BadByReason, wantSum.BadByReason},
						{"out of range", sum.OutOfRange, wantSum.OutOfRange}, {"windows", sum.Windows, wantSum.Windows},
						{"rows", sum.Rows, wantSum.Rows}, {"neighbours", sum.Neighbours, wantSum.Neighbours},
						{"quality", sum.Quality, wantSum.Quality}, {"folded", sum.Folded, wantSum.Folded},
					} {
						if !reflect.DeepEqual(f.got, f.want) {
							t.Errorf("budget %d: %s %v, want %v", budget, f.name, f.got, f.want)
						}
					}
					if len(sum.Partitions) != len(wantSum.Partitions) {
						t.Errorf("budget %d: %d partitions, want %d", budget, len(sum.Partitions), len(wantSum.Partitions))
					}
					if left, _ := os.ReadDir(spillDir); len(left) != 0 {
						t.Errorf("spill folder holds %d entries", len(left))
					}
				}
			})
		}
	}
}
