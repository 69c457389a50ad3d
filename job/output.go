package job

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// OutputConfig configures the commands that read or tidy an output: ls,
// show, files, gc and report.
type OutputConfig struct {
	Output           string        `env:"OUTPUT" flag:"output" desc:"output URL: s3://bucket/prefix, file:///dir or a local path"`
	Date             string        `env:"DATE" flag:"date" desc:"the partition's date (YYYY-MM-DD); for gc, limits it to one date"`
	From             string        `env:"FROM" flag:"from" desc:"files, report: first date (YYYY-MM-DD), inclusive"`
	To               string        `env:"TO" flag:"to" desc:"files, report: last date (YYYY-MM-DD), inclusive"`
	Window           string        `env:"WINDOW" flag:"window" desc:"files, pin, report: only this table (window name such as 5m or 15m-every-5m; pin also takes the Iceberg name features_15m_5m), default every table; show --chart/--hours: the table drawn, default the tumbling one of the longest windows of an hour or less; table drop: the table to drop"`
	Format           string        `env:"FORMAT" envDefault:"parquet" flag:"format" desc:"files: parquet or csv"`
	GCGrace          time.Duration `env:"GC_GRACE" envDefault:"1h" flag:"gc-grace" desc:"gc: how long files no commit lists (abandoned partials, dropped formats, old-layout runs) are kept"`
	RejectsRetention time.Duration `env:"REJECTS_RETENTION" envDefault:"720h" flag:"rejects-retention" desc:"gc: how long samples of bad lines are kept; 0 keeps them"`
	Wait             time.Duration `env:"WAIT" envDefault:"1m" flag:"wait" desc:"files, show: how long to wait for a partition another run is publishing"`
	JSON             bool          `env:"JSON" flag:"json" desc:"print JSON"`
	DryRun           bool          `env:"DRY_RUN" flag:"dry-run" desc:"gc: list what would be deleted, deleting nothing"`
	Chart            bool          `env:"CHART" flag:"chart" desc:"show: draw the date's events, error rate and p99 latency per UTC hour and its bad lines by reason, from the committed rows, as text charts"`
	Hours            bool          `env:"HOURS" flag:"hours" desc:"show: print the numbers --chart draws as a table (with --json, as JSON)"`

	IcebergSettings `group:"iceberg"`
	S3              S3Settings `envPrefix:"S3_" group:"storage"`

	FileSettings `group:"command"`
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
	if c.Window != "" {
		// Tables are told apart by their names: another spelling of a
		// window ("900s", "15m/5m") would match no table, and a command
		// would list nothing rather than refuse.
		if _, err := features.ParseWindowName(c.Window); err != nil {
			if !c.Iceberg() || !isIcebergTableName(c.Window) {
				return bad("Window", "%v (a table's name, as logsmith table show or ls prints it)", err)
			}
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
	if field, err := c.IcebergSettings.check(c.Output, nil); err != nil {
		return bad(field, "%v", err)
	}
	if err := c.checkPictures(); err != nil {
		return err
	}
	if c.DryRun && c.Iceberg() {
		return bad("DryRun", "gc --dry-run is not yet with --table-format iceberg (run and backfill take it)")
	}
	return nil
}

// OpenOutput returns the output of an output config. These commands only
// read or tidy an output: a missing local folder is an empty output, not
// one to create.
func OpenOutput(c *OutputConfig) (table.Output, Location, error) {
	loc, err := ParseLocation(c.Output)
	if err != nil {
		return table.Output{}, loc, settingError(c, "Output", err)
	}
	open := OpenInput
	if c.DryRun {
		open = openDryRun // nothing is written, whatever the command
	}
	b, err := open(loc, c.S3, defaultPolicy)
	if err != nil {
		return table.Output{}, loc, err
	}
	return table.NewOutput(b, loc.Prefix), loc, nil
}
