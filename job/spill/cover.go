package spill

import "time"

// Cover returns the span the aggregate's input covers, [from, to): the
// time a dense table may fill with windows, zero rows included. day is a
// dated run's date (zero: undated); whole says its input names the date
// (a templated input), which it then covers whole. Otherwise it is the
// span of the events read, from the first pane with events to the end of
// the last; a dated run that also read events of the days before (after)
// its date covers the date from its start (to its end). No event at all
// covers nothing: from == to.
func (s *Store) Cover(day time.Time, whole bool) (from, to time.Time) {
	if !day.IsZero() && whole {
		return day, day.AddDate(0, 0, 1)
	}
	from, to, ok := s.Span()
	if day.IsZero() {
		if !ok {
			return time.Unix(0, 0).UTC(), time.Unix(0, 0).UTC()
		}
		return from, to
	}
	c := &s.mem.Counts
	before := c.Before > 0 || c.Far > 0 && c.FarMin < day.UnixNano()
	after := c.After > 0 || c.Far > 0 && c.FarMax >= day.AddDate(0, 0, 1).UnixNano()
	if !ok {
		from, to = day, day
	}
	if before {
		from = day
	}
	if after {
		to = day.AddDate(0, 0, 1)
		if !ok && !before {
			from = to
		}
	}
	return from, to
}
