package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alitto/pond/v2"
)

// BackfillConfig configures a backfill: the run settings, applied to every
// date from Config.From to To inclusive.
type BackfillConfig struct {
	Config
	To       string `env:"TO" flag:"to" desc:"last date of the backfill (YYYY-MM-DD), inclusive"`
	Parallel int    `env:"PARALLEL" envDefault:"1" flag:"parallel" desc:"dates computed at once (each with --workers workers)"`
	Force    bool   `env:"FORCE" flag:"force" desc:"recompute dates already committed from the same inputs and config"`
}

// Validate checks the backfill's settings and names the first bad one.
func (c *BackfillConfig) Validate() error {
	bad := func(field, format string, args ...any) error {
		return settingError(c, field, fmt.Errorf(format, args...))
	}
	if _, err := c.Dates(); err != nil {
		return err
	}
	if !IsTemplate(c.Input) {
		return bad("Input", "%q: a backfill needs a templated input such as s3://logs/app/{yyyy}/{mm}/{dd}/", c.Input)
	}
	if c.Date != "" {
		return bad("Date", "not used by backfill; use --from and --to")
	}
	if c.Parallel < 1 || c.Parallel > 64 {
		return bad("Parallel", "%d: want 1 to 64", c.Parallel)
	}
	if c.Report != "" {
		return bad("Report", "applies to run and merge; for a backfill's dates: logsmith report --from --to")
	}
	rc := c.DateConfig(c.From)
	return rc.Validate()
}

// Dates returns the dates a backfill computes, --from to --to inclusive;
// the error names the bad setting.
func (c *BackfillConfig) Dates() ([]string, error) {
	bad := func(field, format string, args ...any) error {
		return settingError(c, field, fmt.Errorf(format, args...))
	}
	from, err := time.Parse(time.DateOnly, c.From)
	if err != nil {
		return nil, bad("From", "%q: want YYYY-MM-DD", c.From)
	}
	to, err := time.Parse(time.DateOnly, c.To)
	if err != nil {
		return nil, bad("To", "%q: want YYYY-MM-DD", c.To)
	}
	if to.Before(from) {
		return nil, bad("To", "%s is before --from %s", c.To, c.From)
	}
	if to.Sub(from) > 3660*24*time.Hour {
		return nil, bad("To", "more than 3660 days after --from")
	}
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	return dates, nil
}

// DateConfig returns the config of the run of one date of the backfill.
func (c *BackfillConfig) DateConfig(date string) Config {
	rc := c.Config
	rc.From, rc.Date, rc.CompletionIndex = "", date, -1
	rc.SkipCommitted = !c.Force
	rc.RunID = ""
	return rc
}

// DateResult is the outcome of one date of a backfill.
type DateResult struct {
	Date   string `json:"date"`
	Status string `json:"status"` // committed, skipped, failed or not_run
	RunID  string `json:"run_id,omitempty"`
	Rows   int    `json:"rows"`
	Error  string `json:"error,omitempty"`
	// Summary is the date's run summary, when it ran.
	Summary *Summary `json:"-"`
	err     error
}

// Backfill runs every date from From to To with the commit protocol,
// Parallel at a time. A failed date does not stop the others; the error
// returned names the failed dates by kind and is classified by the
// highest kind among them (backfillPrecedence).
func Backfill(ctx context.Context, cfg BackfillConfig, opts Options, progress func(DateResult)) ([]DateResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dates, err := cfg.Dates()
	if err != nil {
		return nil, err
	}
	results := make([]DateResult, len(dates))
	pool := pond.NewPool(cfg.Parallel)
	defer pool.StopAndWait()
	group := pool.NewGroup()
	for i, d := range dates {
		group.Submit(func() {
			r := DateResult{Date: d, Status: "not_run"}
			if ctx.Err() == nil {
				sum, err := Run(ctx, cfg.DateConfig(d), opts)
				r.Summary = sum
				switch {
				case err != nil:
					r.Status, r.Error, r.err = "failed", err.Error(), err
				case len(sum.Partitions) > 0:
					p := sum.Partitions[0]
					r.Status, r.RunID, r.Rows = p.Status, p.RunID, p.Rows
				}
			}
			results[i] = r
			if progress != nil {
				progress(r)
			}
		})
	}
	_ = group.Wait() // tasks report through results, never by error
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	return results, backfillErr(results)
}

// backfillPrecedence orders the kinds of a backfill's failed dates: the
// backfill fails with the first kind here that any date failed with, so
// that its exit code says what to do first. A bad setting or refused
// access holds for every date (fix it; no retry helps) and a bug is
// reported before anything a retry can fix; the kinds of exit 5 (a
// storage failure, input not there yet, fewer events than a commit) come
// before bad data, so that a scheduler retries the backfill (dates
// committed meanwhile are skipped) instead of giving up on dates a retry
// would commit; a lost race comes last, as another command committed that
// date. See docs/operations.md.
var backfillPrecedence = []Kind{KindInterrupted, KindBadSetting, KindFixAccess, KindBug, KindRetry, KindNotReady, KindFewerEvents, KindHalt, KindLostRace}

// backfillErr is a backfill's error from its dates' results, or nil when
// none failed: classified by the highest kind of backfillPrecedence among
// the failed dates, naming every failed date by kind.
func backfillErr(results []DateResult) error {
	byKind := map[Kind][]string{}
	first := map[Kind]error{}
	failed := 0
	for _, r := range results {
		if r.Status != "failed" && r.Status != "not_run" {
			continue
		}
		failed++
		err := r.err
		if err == nil {
			err = fmt.Errorf("%s: not run", r.Date)
		}
		k := KindOf(err)
		if r.Status == "not_run" {
			k = KindInterrupted
		}
		byKind[k] = append(byKind[k], r.Date)
		if first[k] == nil {
			first[k] = err
		}
	}
	if failed == 0 {
		return nil
	}
	var parts []string
	deciding := Kind(-1)
	for _, k := range backfillPrecedence {
		if len(byKind[k]) == 0 {
			continue
		}
		if deciding < 0 {
			deciding = k
		}
		parts = append(parts, fmt.Sprintf("%s (exit %d) %s", k.String(), ExitCode(&kindError{k, errors.New("")}), strings.Join(byKind[k], " ")))
	}
	return &kindError{deciding, fmt.Errorf("backfill: %d of %d dates failed: %s; first %s failure: %w",
		failed, len(results), strings.Join(parts, "; "), deciding.String(), first[deciding])}
}
