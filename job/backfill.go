package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/alitto/pond/v2"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

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
func Backfill(ctx context.Context, cfg settings.BackfillConfig, opts Options, progress func(DateResult)) ([]DateResult, error) {
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
var backfillPrecedence = []failure.Kind{failure.KindInterrupted, failure.KindBadSetting, failure.KindFixAccess, failure.KindBug, failure.KindRetry, failure.KindNotReady, failure.KindFewerEvents, failure.KindHalt, failure.KindLostRace}

// backfillErr is a backfill's error from its dates' results, or nil when
// none failed: classified by the highest kind of backfillPrecedence among
// the failed dates, naming every failed date by kind.
func backfillErr(results []DateResult) error {
	byKind := map[failure.Kind][]string{}
	first := map[failure.Kind]error{}
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
		k := failure.KindOf(err)
		if r.Status == "not_run" {
			k = failure.KindInterrupted
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
	deciding := failure.Kind(-1)
	for _, k := range backfillPrecedence {
		if len(byKind[k]) == 0 {
			continue
		}
		if deciding < 0 {
			deciding = k
		}
		parts = append(parts, fmt.Sprintf("%s (exit %d) %s", k.String(), failure.ExitCode(failure.New(k, errors.New(""))), strings.Join(byKind[k], " ")))
	}
	return failure.New(deciding, fmt.Errorf("backfill: %d of %d dates failed: %s; first %s failure: %w",
		failed, len(results), strings.Join(parts, "; "), deciding.String(), first[deciding]))

}
