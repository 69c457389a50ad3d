package settings

import (
	"time"

	"github.com/logsmith/logsmith/features"
)

// Resolved is a validated run config parsed once into the typed values a
// run works from; nothing downstream parses a setting again.
type Resolved struct {
	// SplitBytes is --split-bytes, or 0 when the pipeline reads records
	// that may span lines or joins lines.
	SplitBytes int64
	// Date is the UTC date computed (YYYY-MM-DD), "" for an undated run
	// (every date found); Day is its midnight, zero when undated.
	Date string
	Day  time.Time
	// Input is the input location, or the template's with no date
	// expanded; Stdin says the input is standard input.
	Input  Location
	Stdin  bool
	Output Location
	// Windows are the window specs, one table each, in the order given.
	Windows []features.Window
	// Spec is what the decoder reads and computes; Columns the optional
	// columns it adds to every table.
	Spec    features.Spec
	Columns features.Columns
	// Shard and Shards say which shard of how many this run computes;
	// Shards is 0 when the run is not sharded.
	Shard, Shards int
	// Workers is the resolved worker count.
	Workers int
	// InputZone is the zone a template's folders are named in (UTC by
	// default); Lateness how long after its date's end an event may be
	// filed (--input-lateness, auto resolved by the template's folders).
	InputZone *time.Location
	Lateness  time.Duration
	// MaxGroups caps the groups of a pane and of a window (--max-groups).
	MaxGroups int
	// S3 is how s3:// URLs are reached: the S3 settings, with a response's
	// headers awaited for --idle-timeout at most.
	S3 S3Settings
}

// Sharded reports whether the run computes one shard of several.
func (r *Resolved) Sharded() bool { return r.Shards > 0 }

// Resolve validates every setting and parses the config once. now picks
// the date of a templated run without --date (yesterday, UTC). The error
// is a *ConfigError naming the first bad setting.
func (c *Config) Resolve(now time.Time) (*Resolved, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	r := &Resolved{Stdin: c.Input == "-", Columns: c.Columns(), Workers: c.EffectiveWorkers(), SplitBytes: c.SplitBytes,
		MaxGroups: c.MaxGroups, S3: c.S3}
	r.S3.Timeout = c.IdleTimeout
	// Validate parsed each of these already; an error is reported all
	// the same, never dropped.
	bad := func(field string, err error) (*Resolved, error) { return nil, SettingError(c, field, err) }
	var err error
	var field string
	if r.Spec, field, err = c.spec(); err != nil {
		return bad(field, err)
	}
	if !r.Spec.Pipeline.Splittable() {
		r.SplitBytes = 0 // records may span lines, or lines are joined: objects are read whole
	}
	if r.Input, err = ParseLocation(c.Input); err != nil {
		return bad("Input", err)
	}
	if r.Output, err = ParseLocation(c.Output); err != nil {
		return bad("Output", err)
	}
	if r.Windows, err = c.Windows(); err != nil {
		return bad("Window", err)
	}
	if r.Lateness, err = c.lateness(); err != nil {
		return bad("InputLateness", err)
	}
	if r.InputZone, err = features.LoadZone(c.InputZone); err != nil {
		return bad("InputZone", err)
	}
	if r.InputZone == nil {
		r.InputZone = time.UTC
	}
	if i, n, ok := c.shard(); ok {
		r.Shard, r.Shards = i, n
	}
	if r.Date, err = c.targetDate(now); err != nil {
		return bad("From", err)
	}
	if r.Date != "" {
		if r.Day, err = time.Parse(time.DateOnly, r.Date); err != nil {
			return bad("Date", err)
		}
	}
	return r, nil
}
