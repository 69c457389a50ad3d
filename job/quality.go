package job

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/quality"
	"github.com/logsmith/logsmith/table"
)

// Quality is the input attributed to a date: see table.Quality.
type Quality = table.Quality

// dateQuality is what date d is judged on: the input attributed to it and
// the run-wide input.
func (rs *runState) dateQuality(d string) Quality {
	q := rs.quality[d]
	q.Add(rs.quality[quality.RunWide], 1)
	return q
}

// judge says why date d must not be committed, or returns nil: the share
// of bad lines, of damaged objects or of damaged bytes attributed to it is
// over --max-bad-ratio, or (with --strict-fields) a configured field has
// no value in any of its events, or one of them has an unknown level. The
// verdict is kept, and recorded in the summary, once per date.
func (rs *runState) judge(d string) error {
	if err, ok := rs.verdicts[d]; ok {
		return err
	}
	q := rs.dateQuality(d)
	if rs.sum.Quality == nil {
		rs.sum.Quality = map[string]Quality{}
	}
	rs.sum.Quality[d] = q
	why := quality.TooBroken(q, rs.cfg.MaxBadRatio)
	if s := rs.strictFields(d); s != "" {
		why = append(why, s)
	}
	var err error
	if len(why) > 0 {
		err = fmt.Errorf("date %s: %s", d, strings.Join(why, "; "))
		rs.sum.FailedDates = append(rs.sum.FailedDates, DateResult{Date: d, Status: "failed", Error: err.Error()})
		slices.SortFunc(rs.sum.FailedDates, func(a, b DateResult) int { return strings.Compare(a.Date, b.Date) })
		rs.log.Warn("date not committed: its input is too broken", "date", d, "reason", strings.Join(why, "; "))
	}
	rs.verdicts[d] = err
	return err
}

// strictFields says, with --strict-fields, which configured fields had no
// value in any of date d's events, or how many of them had an unknown
// level; "" when neither. A dated run judges its date on every event it
// aggregates (its windows reaching past midnight included), as the summary
// reports them; an undated run each date on that date's events.
func (rs *runState) strictFields(d string) string {
	if !rs.cfg.StrictFields {
		return ""
	}
	var c features.Counts
	if rs.res.Date != "" {
		c = rs.counts
	} else if dc := rs.days[d]; dc != nil {
		c = features.Counts{Events: dc.Aggregated, Present: dc.Present, UnknownLevel: dc.UnknownLevel}
	}
	var why []string
	if missing := quality.Missing(rs.cfg, rs.res.Spec, &c); len(missing) > 0 {
		names := make([]string, len(missing))
		for i, m := range missing {
			names[i] = fmt.Sprintf("--%s %q", m.Setting, m.Field)
		}
		why = append(why, fmt.Sprintf("%s had no value in any of %d events of the date (--strict-fields)", strings.Join(names, ", "), c.Aggregated()))
	}
	// The values are counted run-wide: named when the date holds all the
	// run's unknown levels.
	if u := rs.sum.UnknownLevels; u != nil && (rs.res.Date != "" || u.Events == c.UnknownLevel) {
		why = append(why, quality.DescribeUnknownLevels(rs.cfg, u)+" (--strict-fields); set --level-map")
	} else if c.UnknownLevel > 0 {
		why = append(why, fmt.Sprintf("%d of its events had a --%s value that is not a known level (--strict-fields; set --level-map)",
			c.UnknownLevel, quality.SettingFlag(rs.cfg, "LevelField")))
	}
	return strings.Join(why, "; ")
}

// failedDatesErr is the error of a run that committed only the dates that
// passed judge (or none): exit 3, naming each date that failed and why.
func (rs *runState) failedDatesErr() error {
	if len(rs.sum.FailedDates) == 0 {
		return nil
	}
	msgs := make([]string, len(rs.sum.FailedDates))
	for i, f := range rs.sum.FailedDates {
		msgs[i] = f.Error
	}
	committed := "nothing committed"
	switch n := len(rs.committedDates()); n {
	case 0:
	case 1:
		committed = "committed the 1 other date"
	default:
		committed = fmt.Sprintf("committed the %d other dates", n)
	}
	return failure.New(failure.KindHalt, fmt.Errorf("input too broken to commit: %s; %s", strings.Join(msgs, "; "), committed))
}

// committedDates are the dates of the partitions the run committed.
func (rs *runState) committedDates() []string {
	set := map[string]bool{}
	for _, p := range rs.sum.Partitions {
		if p.Status == StatusCommitted || p.Status == StatusSkipped {
			set[p.Date] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// checkInput records and warns of missing fields and unknown levels, and
// refuses to commit input that holds too many windows for an undated run,
// or no event at all. Whether each date's input is too broken to commit
// (--max-bad-ratio, --strict-fields) is judge's.
func (rs *runState) checkInput(c *features.Counts) error {
	cfg := rs.cfg
	rs.checkFields(c)
	rs.checkLevels(c)
	if rs.res.Date != "" && rs.judge(rs.res.Date) != nil {
		return rs.failedDatesErr() // its one date: nothing to commit
	}
	if c.Events == 0 {
		// No event, so no date: what was read is judged as a whole, and
		// input all bad or damaged is bad data, not missing input.
		if why := quality.TooBroken(rs.quality[quality.RunWide], rs.cfg.MaxBadRatio); len(why) > 0 {
			return failure.New(failure.KindHalt, fmt.Errorf("input too broken to commit: %s; nothing committed", strings.Join(why, "; ")))
		}
	}
	if c.TooManyPanes > 0 {
		return failure.New(failure.KindHalt, fmt.Errorf(
			"the input spans more than %d windows (--max-panes; %d events beyond); run dated with --date or a templated input; nothing committed",
			cfg.MaxPanes, c.TooManyPanes))
	}
	if c.Events-c.OutOfRange == 0 && !cfg.AllowEmpty {
		// An empty stdin, a broken upstream pipe or inputs holding no
		// event of the date: committing would hide it.
		return failure.New(failure.KindNotReady, fmt.Errorf(
			"the input holds no event%s (%d lines, %d events outside the date); nothing committed (--allow-empty commits empty partitions)", rs.forDate(), c.Lines, c.OutOfRange))
	}
	return nil
}
