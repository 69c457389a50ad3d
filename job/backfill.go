package job

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/logsmith/logsmith/table"
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
	from, err := time.Parse(time.DateOnly, c.From)
	if err != nil {
		return bad("From", "%q: want YYYY-MM-DD", c.From)
	}
	to, err := time.Parse(time.DateOnly, c.To)
	if err != nil {
		return bad("To", "%q: want YYYY-MM-DD", c.To)
	}
	if to.Before(from) {
		return bad("To", "%s is before --from %s", c.To, c.From)
	}
	if to.Sub(from) > 3660*24*time.Hour {
		return bad("To", "more than 3660 days after --from")
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
	rc := c.dateConfig(c.From)
	return rc.Validate()
}

func (c *BackfillConfig) dateConfig(date string) Config {
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
// returned says how many failed, classified like the first failure.
func Backfill(ctx context.Context, cfg BackfillConfig, opts Options, progress func(DateResult)) ([]DateResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	from, _ := time.Parse(time.DateOnly, cfg.From)
	to, _ := time.Parse(time.DateOnly, cfg.To)
	var dates []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	results := make([]DateResult, len(dates))
	pool := pond.NewPool(cfg.Parallel)
	defer pool.StopAndWait()
	group := pool.NewGroup()
	for i, d := range dates {
		group.Submit(func() {
			r := DateResult{Date: d, Status: "not_run"}
			if ctx.Err() == nil {
				sum, err := Run(ctx, cfg.dateConfig(d), opts)
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
	var first error
	failed := 0
	for _, r := range results {
		if r.Status == "failed" || r.Status == "not_run" {
			failed++
			if first == nil {
				first = r.err
			}
		}
	}
	if ctx.Err() != nil {
		return results, ctx.Err()
	}
	if failed > 0 {
		if first == nil {
			first = errors.New("dates not run")
		}
		return results, &kindError{KindOf(first), fmt.Errorf("backfill: %d of %d dates failed; first: %w", failed, len(dates), first)}
	}
	return results, nil
}

// OutputConfig configures the commands that read or tidy an output: ls,
// show, files and gc.
type OutputConfig struct {
	Output           string        `env:"OUTPUT" flag:"output" desc:"output URL: s3://bucket/prefix, file:///dir or a local path"`
	Date             string        `env:"DATE" flag:"date" desc:"the partition's date (YYYY-MM-DD); for gc, limits it to one date"`
	From             string        `env:"FROM" flag:"from" desc:"files: first date (YYYY-MM-DD), inclusive"`
	To               string        `env:"TO" flag:"to" desc:"files: last date (YYYY-MM-DD), inclusive"`
	Window           string        `env:"WINDOW" flag:"window" desc:"files: only this table (window name such as 5m or 15m-every-5m); default every table"`
	Format           string        `env:"FORMAT" envDefault:"parquet" flag:"format" desc:"files: parquet or csv"`
	GCGrace          time.Duration `env:"GC_GRACE" envDefault:"1h" flag:"gc-grace" desc:"gc: how long files no commit lists (abandoned partials, dropped formats, old-layout runs) are kept"`
	RejectsRetention time.Duration `env:"REJECTS_RETENTION" envDefault:"720h" flag:"rejects-retention" desc:"gc: how long samples of bad lines are kept; 0 keeps them"`
	Wait             time.Duration `env:"WAIT" envDefault:"1m" flag:"wait" desc:"files, show: how long to wait for a partition another run is publishing"`
	JSON             bool          `env:"JSON" flag:"json" desc:"print JSON"`
	S3               S3Settings    `envPrefix:"S3_"`
}

// checkWritableOutput says what is wrong with an output URL that a command
// writes to, or returns nil.
func checkWritableOutput(output string) error {
	if output == "" {
		return errors.New("required")
	}
	if loc, err := ParseLocation(output); err != nil || loc.Scheme == "-" {
		return fmt.Errorf("%q: want s3://bucket/prefix, file:///dir or a path", output)
	}
	return checkURLShape(output)
}

// Validate checks the settings and names the first bad one.
func (c *OutputConfig) Validate(needDate bool) error {
	bad := func(field, format string, args ...any) error {
		return settingError(c, field, fmt.Errorf(format, args...))
	}
	if err := checkWritableOutput(c.Output); err != nil {
		return settingError(c, "Output", err)
	}
	if c.Date == "" && needDate {
		return bad("Date", "required")
	}
	if c.Date != "" {
		if _, err := time.Parse(time.DateOnly, c.Date); err != nil {
			return bad("Date", "%q: want YYYY-MM-DD", c.Date)
		}
	}
	for _, f := range []struct{ field, v string }{{"From", c.From}, {"To", c.To}} {
		if f.v != "" && !table.ValidDate(f.v) {
			return bad(f.field, "%q: want YYYY-MM-DD", f.v)
		}
	}
	if !slices.Contains(table.Formats, c.Format) {
		return bad("Format", "%q: want parquet or csv", c.Format)
	}
	if c.GCGrace < 0 {
		return bad("GCGrace", "%v: must not be negative", c.GCGrace)
	}
	if c.RejectsRetention < 0 {
		return bad("RejectsRetention", "%v: must not be negative", c.RejectsRetention)
	}
	if c.Wait < 0 {
		return bad("Wait", "%v: must not be negative", c.Wait)
	}
	return nil
}

// OpenOutput returns the output of an output config. These commands only
// read or tidy an output: a missing local folder is an empty output, not
// one to create.
func OpenOutput(c *OutputConfig) (table.Output, Location, error) {
	loc, _ := ParseLocation(c.Output)
	b, err := OpenInput(loc, c.S3, defaultPolicy)
	if err != nil {
		return table.Output{}, loc, err
	}
	return table.NewOutput(b, loc.Prefix), loc, nil
}
