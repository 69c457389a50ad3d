package job_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// rejectsPhase cancels the run's context when it enters a phase whose name
// starts with at, as a Ctrl-C there would.
type rejectsPhase struct {
	at     string
	cancel context.CancelFunc
}

func (p *rejectsPhase) Phase(name string) {
	if strings.HasPrefix(name, p.at) {
		p.cancel()
	}
}
func (p *rejectsPhase) Retrying(int, error) {}
func (p *rejectsPhase) Listed(int, int64)   {}
func (p *rejectsPhase) Read(int64)          {}
func (p *rejectsPhase) ObjectDone()         {}

// A run that commits no date leaves no sample of bad lines behind, whatever
// exit ended it — a refused setting, no event of its date, a commit it
// would make worse, a lost race, an interrupt at any phase after the
// sample was taken — with one exception: a run refused for bad input keeps
// the sample, the evidence its error points to. A run that commits keeps
// it too: its manifests name it.
func TestRefusedRunLeavesNoRejects(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		testRefusedRunLeavesNoRejects(t, func(t *testing.T) (string, settings.S3Settings, rejectsLister) {
			out := t.TempDir()
			st, err := storage.NewLocal(out)
			if err != nil {
				t.Fatal(err)
			}
			return out, settings.S3Settings{}, st
		})
	})
	t.Run("minio", func(t *testing.T) {
		testRefusedRunLeavesNoRejects(t, func(t *testing.T) (string, settings.S3Settings, rejectsLister) {
			st, c := storagetest.NewBucket(t)
			return "s3://" + st.Bucket(), s3Settings(c), st
		})
	})
}

// rejectsLister lists the objects of an output's store.
type rejectsLister interface {
	List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error
}

func testRefusedRunLeavesNoRejects(t *testing.T, newOut func(t *testing.T) (string, settings.S3Settings, rejectsLister)) {
	const date = "2025-11-08"
	bad := []byte("not json\n")
	for _, tc := range []struct {
		name string
		// before runs first on the same output (nil: a fresh output).
		before func(cfg settings.Config) settings.Config
		edit   func(cfg *settings.Config)
		opts   func(ctx context.Context, cancel context.CancelFunc, cfg settings.Config) job.Options
		exit   int
		keep   bool
	}{
		{name: "committed", exit: failure.ExitOK, keep: true},
		{name: "bad input", edit: func(c *settings.Config) { c.MaxBadRatio = 0 }, exit: failure.ExitBadData, keep: true},
		{name: "no event of the date", edit: func(c *settings.Config) { c.Date = "2025-11-09" }, exit: failure.ExitStorage},
		{
			name:   "another shape",
			before: func(c settings.Config) settings.Config { return c },
			edit:   func(c *settings.Config) { c.GroupBy = []string{"level"} },
			exit:   failure.ExitConfig,
		},
		{
			name:   "fewer events than the commit",
			before: func(c settings.Config) settings.Config { return c },
			edit:   func(c *settings.Config) { c.Input = filepath.Join(c.Input, "b.jsonl") },
			exit:   failure.ExitStorage,
		},
		{
			name: "lost race",
			opts: func(ctx context.Context, _ context.CancelFunc, cfg settings.Config) job.Options {
				return job.Options{BeforePublish: func(context.Context, string) {
					winner := cfg
					winner.RunID, winner.Input = "winner", filepath.Join(cfg.Input, "a.jsonl")
					if _, err := job.Run(ctx, winner, job.Options{}); err != nil {
						t.Errorf("winner: %v", err)
					}
				}}
			},
			exit: failure.ExitLostRace,
		},
		{
			name: "interrupted building tables",
			opts: func(_ context.Context, cancel context.CancelFunc, _ settings.Config) job.Options {
				return job.Options{Progress: &rejectsPhase{at: "building tables", cancel: cancel}}
			},
			exit: failure.ExitInterrupted,
		},
		{
			name: "interrupted committing",
			opts: func(_ context.Context, cancel context.CancelFunc, _ settings.Config) job.Options {
				return job.Options{Progress: &rejectsPhase{at: "committing", cancel: cancel}}
			},
			exit: failure.ExitInterrupted,
		},
		{
			name: "interrupted before publishing",
			opts: func(_ context.Context, cancel context.CancelFunc, _ settings.Config) job.Options {
				return job.Options{BeforePublish: func(context.Context, string) { cancel() }}
			},
			exit: failure.ExitInterrupted,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			out, s3, st := newOut(t)
			// a.jsonl is clean; b.jsonl holds fewer events and one bad line.
			if err := os.WriteFile(filepath.Join(in, "a.jsonl"), logLines(500, 0), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(in, "b.jsonl"), append(logLines(200, 600), bad...), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := runConfig(in, out, s3)
			cfg.Date = date
			if tc.before != nil {
				first := tc.before(cfg)
				first.Input = filepath.Join(in, "a.jsonl")
				if _, err := job.Run(context.Background(), first, job.Options{}); err != nil {
					t.Fatalf("first run: %v", err)
				}
			}
			if tc.edit != nil {
				tc.edit(&cfg)
			}
			cfg.RunID = "refused"
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var opts job.Options
			if tc.opts != nil {
				opts = tc.opts(ctx, cancel, cfg)
			}
			sum, err := job.Run(ctx, cfg, opts)
			if got := failure.ExitCode(err); got != tc.exit {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.exit)
			}
			var left []string
			err = st.List(context.Background(), "_rejects/", func(o storage.ObjectInfo) error {
				if strings.Contains(o.Key, "run=refused") {
					left = append(left, o.Key)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.keep && len(left) != 1:
				t.Errorf("rejects of the run: %v, want its one sample", left)
			case !tc.keep && len(left) != 0:
				t.Errorf("rejects of a run that committed nothing: %v, want none", left)
			case !tc.keep && sum != nil && sum.Rejects != "":
				t.Errorf("the summary names rejects %s that are gone", sum.Rejects)
			}
		})
	}
}
