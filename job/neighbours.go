package job

import (
	"fmt"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
)

// NeighbourDate is the events of the date before or after a dated run's
// that its input held: counted in out_of_range and not written by this
// run, they are that date's run's to write.
type NeighbourDate struct {
	Date   string `json:"date"`
	Events int64  `json:"events"`
	// NotListed, for a templated input, is how many of them sit in objects
	// that date's own run does not list (a folder beyond its
	// --input-lateness, or before its date): no run writes them. Absent
	// for an input without a template, whose objects every date's run
	// lists (or standard input, which no other run reads).
	NotListed *int64 `json:"not_listed_by_its_run,omitempty"`
}

// neighbourShare is the share of a run's events above which the events of
// a neighbouring date in an input without a template (or on standard
// input) are warned about: a run cannot tell whether that date's run reads
// the same input, so a few (a clock a little off) are let pass. In a
// templated input the events no run writes are known and warned about
// from the first one.
const neighbourShare = 0.001

// checkNeighbours records in the summary the events of the dates either
// side of a dated run's that its input held, and warns (summary, log and
// every manifest) of those no run may write: in a templated input, any of
// them in objects their own date's run does not list; in any other input,
// more than neighbourShare of the run's events.
func (rs *runState) checkNeighbours(c *features.Counts, unlisted [2]int64) {
	if rs.res.Date == "" {
		return
	}
	templated := settings.IsTemplate(rs.cfg.Input)
	for k, n := range [2]int64{c.Before, c.After} {
		if n == 0 {
			continue
		}
		date := rs.res.Day.AddDate(0, 0, 2*k-1).Format(time.DateOnly)
		nd := NeighbourDate{Date: date, Events: n}
		var w string
		switch {
		case templated:
			nd.NotListed = &unlisted[k]
			if unlisted[k] > 0 {
				w = fmt.Sprintf("%d events of %s are in input objects the run of %s does not list (folders outside its date and --input-lateness %v): no run writes them; raise --input-lateness or --widen-days and rerun %s",
					unlisted[k], date, date, rs.res.Lateness, date)
			}
		case float64(n) > neighbourShare*float64(c.Events):
			w = fmt.Sprintf("%d events of %s (%.2f%% of the %d read) are in this input and were not written (out_of_range): only a run of %s over the same objects writes them",
				n, date, 100*float64(n)/float64(c.Events), c.Events, date)
		}
		rs.sum.Neighbours = append(rs.sum.Neighbours, nd)
		if w != "" {
			rs.sum.Warnings = append(rs.sum.Warnings, w)
			rs.log.Warn("events of a neighbouring date not written", "date", date, "events", n, "run_date", rs.res.Date, "warning", w)
		}
	}
	// Events of dates farther away: in a templated input their own runs
	// list folders around their dates, not this one's, unless lateness or
	// --widen-days reach this far; warned about from the first.
	if c.Far > 0 && (templated || float64(c.Far) > neighbourShare*float64(c.Events)) {
		first := time.Unix(0, c.FarMin).UTC().Format(time.DateOnly)
		last := time.Unix(0, c.FarMax).UTC().Format(time.DateOnly)
		dates := first
		if last != first {
			dates = first + " to " + last
		}
		w := fmt.Sprintf("%d events of %s, more than a day from %s, are in this input and were not written (out_of_range)", c.Far, dates, rs.res.Date)
		if templated {
			w += fmt.Sprintf(": their dates' runs list other folders (--input-lateness %v, --widen-days %d), so no run may write them", rs.res.Lateness, rs.cfg.WidenDays)
		}
		rs.sum.Warnings = append(rs.sum.Warnings, w)
		rs.log.Warn("events of far dates not written", "dates", dates, "events", c.Far, "run_date", rs.res.Date, "warning", w)
	}
}
