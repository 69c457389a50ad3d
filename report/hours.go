package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Hour is one UTC hour of a partition.
type Hour struct {
	Start time.Time `json:"hour"`
	// Events and Errors are the sums of request_count and error_count
	// over the windows of the hour; ErrorRate is their ratio, nil
	// without events.
	Events    int64    `json:"events"`
	Errors    int64    `json:"errors"`
	ErrorRate *float64 `json:"error_rate"`
	// P99 is the highest latency_p99_ms of the hour's windows and groups:
	// percentiles do not add up, so an hour shows its worst window. Nil
	// when no window of the hour has a latency.
	P99 *float64 `json:"p99_ms"`
	// Windows counts the windows of the table in the hour that hold a row.
	Windows int `json:"windows"`
}

// ErrNotHourly means a table's windows cannot be summed per hour: they
// overlap (a sliding table counts an event in several) or are longer than
// an hour or straddle one.
var ErrNotHourly = errors.New("windows do not add up per hour")

// Hours sums the partition's windows per UTC hour of its date: always 24
// hours, those without a window holding zero events. It fails with
// ErrNotHourly for a sliding table or a window not inside one hour, whose
// sums would count an event twice or in the wrong hour.
func (p *Partition) Hours() ([]Hour, error) {
	if sliding(p.Window) {
		return nil, fmt.Errorf("table %s: its windows overlap, each event is in several: %w (choose a tumbling table)", p.Window, ErrNotHourly)
	}
	day, err := time.Parse(time.DateOnly, p.Date)
	if err != nil {
		return nil, fmt.Errorf("date %q: %w", p.Date, err)
	}
	hours := make([]Hour, 24)
	for i := range hours {
		hours[i].Start = day.Add(time.Duration(i) * time.Hour)
	}
	for _, w := range p.Points {
		h := w.Start.Truncate(time.Hour)
		if !w.End.After(w.Start) || w.End.After(h.Add(time.Hour)) {
			return nil, fmt.Errorf("table %s: window %s to %s is not inside one hour: %w (choose a table of windows of an hour or less)",
				p.Window, w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), ErrNotHourly)
		}
		i := int(h.Sub(day) / time.Hour)
		if i < 0 || i >= 24 {
			return nil, fmt.Errorf("table %s: window %s is not on %s", p.Window, w.Start.Format(time.RFC3339), p.Date)
		}
		hr := &hours[i]
		hr.Events += w.Events
		hr.Errors += w.Errors
		hr.Windows++
		if w.P99 != nil && (hr.P99 == nil || *w.P99 > *hr.P99) {
			v := *w.P99
			hr.P99 = &v
		}
	}
	for i := range hours {
		hours[i].ErrorRate = rate(hours[i].Errors, hours[i].Events)
	}
	return hours, nil
}

// Reason is a count of bad lines for one reason.
type Reason struct {
	Reason string `json:"reason"`
	Lines  int64  `json:"lines"`
}

// BadLines returns the bad lines of the run that committed the partition,
// by reason, most first. A bad line has no time anyone can trust, so they
// are the run's, not the hour's.
func (p *Partition) BadLines() []Reason {
	var out []Reason
	for _, r := range slices.Sorted(maps.Keys(p.Manifest.BadByReason)) {
		if n := p.Manifest.BadByReason[r]; n > 0 {
			out = append(out, Reason{r, n})
		}
	}
	slices.SortStableFunc(out, func(a, b Reason) int { return int(min(max(b.Lines-a.Lines, -1), 1)) })
	return out
}
