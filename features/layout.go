package features

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// LoadZone resolves the IANA name of --timestamp-zone ("America/New_York").
// "" gives nil: no zone (see NewLayout). "Local" is refused: it names the
// host's zone, and the output must not depend on the host.
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, nil
	case "Local":
		return nil, errors.New(`"Local" is the host's zone; give an IANA name such as America/New_York, or UTC`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q: not an IANA time zone name (%v)", name, err)
	}
	return loc, nil
}

// Layout reads timestamps written with a Go time layout, the same way on
// every host: it never consults the host's zone (time.Local).
//
//   - A numeric offset in the layout (-0700, -07:00, Z07:00, ...) says the
//     instant; hours must be at most 23 and minutes and seconds at most 59,
//     so +24:00 and +23:60 are refused.
//   - A zone abbreviation (MST in the layout) means the offset it has in the
//     layout's zone, which must be given: Go would otherwise read an
//     abbreviation of the host's zone with that zone's offset and any other
//     as +00:00. The zone must use the abbreviation, with that offset, in
//     the year of the value (EST and EDT in New York, EST meaning −05:00 all
//     year; LMT only before 1884): any other is refused, except UTC and GMT.
//   - Without either, the wall time is in the layout's zone (UTC when none
//     is given), resolved by Layout's own rule, not time.Date's (which
//     differs between zones): a wall time a change repeats (clocks going
//     back) is its first occurrence, the earlier instant; one a change skips
//     (clocks going forward) is read with the offset before the change, so
//     it is the wall time plus the gap (02:30 on a spring-forward day in New
//     York or Berlin is 03:30 daylight time; 02:15 on a Lord Howe Island
//     spring-forward day, a 30-minute gap, is 02:45).
//
// A leap second (:60) is accepted at 23:59:60 UTC and read as
// 23:59:59.999999999, as in ParseRFC3339.
//
// A Layout remembers the zone period of the last value, so it is not safe
// for concurrent use; a Decoder has its own.
type Layout struct {
	layout string
	loc    *time.Location
	abbrev bool     // the layout has a zone abbreviation (MST)
	zones  []string // the layout's numeric zone elements
	// The wall times (as Unix seconds read in UTC) in [safeLo, safeHi)
	// are each in one zone period only, at offset safeOff.
	safeLo, safeHi, safeOff int64
	// probe is a zone in which the abbreviations read so far have offset
	// 0 (see instant); UTC at first.
	probe *time.Location
	// The abbreviation last looked up, the year, and its offset then
	// (abbrUsed is false when loc did not use it that year).
	abbrName           string
	abbrYear           int
	abbrOff            int64
	abbrUsed, abbrSeen bool
	scratch            [maxPeriods]zonePeriod // see periods
}

// numericZones are the layout elements of numeric offsets, longest first
// where one is a prefix of another, as the time package matches them.
var numericZones = []string{"Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700", "-0700", "Z07", "-07"}

// NewLayout checks layout and returns its parser; loc is the zone of
// abbreviations and of wall times without a zone (nil means UTC). A layout
// without a year, or with a zone abbreviation (MST) but no numeric offset
// and no zone, is refused.
func NewLayout(layout string, loc *time.Location) (*Layout, error) {
	l := &Layout{layout: layout, loc: loc, probe: time.UTC}
	ref := func(year int, zone string, off int) string {
		return time.Date(year, 2, 3, 4, 5, 6, 0, time.FixedZone(zone, off)).Format(layout)
	}
	if ref(2001, "AAA", 0) == ref(2002, "AAA", 0) {
		return nil, fmt.Errorf("%q has no year (2006 or 06): every time would be in year 0", layout)
	}
	l.abbrev = ref(2001, "AAA", 0) != ref(2001, "BBB", 0)
	for i := 0; i < len(layout); i++ {
		for _, z := range numericZones {
			if strings.HasPrefix(layout[i:], z) {
				l.zones = append(l.zones, z)
				i += len(z) - 1
				break
			}
		}
	}
	if l.abbrev && len(l.zones) == 0 && loc == nil {
		return nil, fmt.Errorf("%q reads a zone abbreviation (MST), whose offset Go takes from the host's zone; "+
			"set --timestamp-zone to the zone the abbreviations belong to (e.g. America/New_York), or use a numeric offset (-0700)", layout)
	}
	if l.loc == nil {
		l.loc = time.UTC
	}
	return l, nil
}

// Parse returns the Unix nanoseconds of b.
func (l *Layout) Parse(b []byte) (int64, error) {
	// b2s: the time package keeps nothing of its input in what we read
	// (it copies a zone name it keeps), so the line need not be copied.
	secs, nsec, err := l.instant(b2s(b))
	if err != nil {
		return l.parseLeap(b, err)
	}
	if ns, ok := fromUnix(secs, nsec); ok {
		return ns, nil
	}
	return 0, errTimestamp
}

// instant reads s: its Unix seconds and nanoseconds. An error from the
// time package is returned as it is (see parseLeap).
func (l *Layout) instant(s string) (secs, nsec int64, err error) {
	switch {
	case len(l.zones) > 0:
		t, err := time.ParseInLocation(l.layout, s, l.loc)
		if err != nil {
			return 0, 0, err
		}
		if !l.offsetOK(t, s) {
			return 0, 0, errTimestamp
		}
		return t.Unix(), int64(t.Nanosecond()), nil
	case l.abbrev:
		// Read in a zone whose every name has offset 0, the wall time
		// comes out as the instant and the abbreviation as the zone's name.
		t, err := time.ParseInLocation(l.layout, s, l.probe)
		if err != nil {
			return 0, 0, err
		}
		off, ok := l.abbrOffset(t)
		if !ok {
			return 0, 0, errTimestamp
		}
		return t.Unix() - off, int64(t.Nanosecond()), nil
	}
	t, err := time.ParseInLocation(l.layout, s, time.UTC)
	if err != nil {
		return 0, 0, err
	}
	return l.resolve(t.Unix()), int64(t.Nanosecond()), nil
}

// offsetOK checks the numeric offset t was read with: see Layout.
func (l *Layout) offsetOK(t time.Time, s string) bool {
	_, off := t.Zone()
	if off <= -86400 || off >= 86400 {
		return false
	}
	// The time package allows offset hours up to 24 and minutes and
	// seconds up to 60: the offset it read must be written as it would
	// write it (+12:60 is read as +13:00, which the value does not hold).
	var buf [16]byte
	for _, z := range l.zones {
		if z[0] == 'Z' && off == 0 {
			continue // "Z", or +00:00 written out
		}
		if !strings.Contains(s, string(t.AppendFormat(buf[:0], z))) {
			return false
		}
	}
	return true
}

// abbrOffset returns the offset of the abbreviation t was read with (t is
// the wall time as if UTC, in a zone named by the abbreviation, see
// instant): UTC and GMT are 0, any other must be a name l.loc used in the
// year of the wall time (two days either side included, for values near
// New Year), with the offset it had then. The time package would take any
// name the zone ever had, with its first offset: New York's LMT
// (−04:56:02, until 1883) for 2025.
func (l *Layout) abbrOffset(t time.Time) (int64, bool) {
	name, off := t.Zone()
	if t.Location() == time.UTC || name == "GMT" && off == 0 {
		return 0, true
	}
	if off != 0 {
		return 0, false // GMT+3: Go's own offset for a name no zone has
	}
	if t.Location() != l.probe {
		// A name not seen before: the time package made a zone for it.
		// Read the next values in that zone, which knows the name.
		l.probe = t.Location()
	}
	w := t.Unix()
	year := t.Year()
	if l.abbrSeen && l.abbrYear == year && l.abbrName == name {
		return l.abbrOff, l.abbrUsed
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 2*86400
	to := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() + 2*86400
	var found, same, inForce bool
	var first, forced int64
	for _, p := range l.periods(from, to) {
		if p.name != name {
			continue
		}
		if !found {
			first, found, same = p.off, true, true
		} else if p.off != first {
			same = false
		}
		if c := w - p.off; !inForce && c >= p.start && c < p.end {
			forced, inForce = p.off, true
		}
	}
	if same || !found {
		// One offset that year (EST is -05:00 in July too): the same
		// answer for every value of the year.
		l.abbrName, l.abbrYear, l.abbrOff, l.abbrUsed, l.abbrSeen = name, year, first, found, true
	}
	if inForce {
		return forced, true // the period in force at the value's instant
	}
	return first, found
}

// zonePeriod is a span of instants [start, end) with one offset and name.
type zonePeriod struct {
	start, end int64 // Unix seconds; math.MinInt64 and MaxInt64 when unbounded
	off        int64
	name       string
}

// maxPeriods bounds the periods periods returns: more than a year's
// worth, for the zones that changed several times in one.
const maxPeriods = 16

// periods returns the zone periods of l.loc that hold an instant of
// [from, to), in order (at most maxPeriods), in l's scratch space: valid
// until the next call.
func (l *Layout) periods(from, to int64) []zonePeriod {
	ps := l.scratch[:0]
	t := time.Unix(from, 0).In(l.loc)
	for len(ps) < maxPeriods {
		name, off := t.Zone()
		s, e := t.ZoneBounds()
		p := zonePeriod{start: math.MinInt64, end: math.MaxInt64, off: int64(off), name: name}
		if !s.IsZero() {
			p.start = s.Unix()
		}
		if !e.IsZero() {
			p.end = e.Unix()
		}
		ps = append(ps, p)
		if p.end >= to || p.end <= t.Unix() {
			break
		}
		t = e
	}
	return ps
}

// offsetAt returns l.loc's offset at the Unix second u.
func (l *Layout) offsetAt(u int64) int64 {
	_, off := time.Unix(u, 0).In(l.loc).Zone()
	return int64(off)
}

// maxWallShift exceeds any offset (the largest, local mean times, are
// within ±16 hours), so every period that could hold a wall time's instant
// starts before it ends after [w-maxWallShift, w+maxWallShift].
const maxWallShift = 30 * 3600

// resolve returns the instant of the wall time w (the Unix seconds of the
// wall clock read as UTC) in l.loc, by Layout's rule: of the instants whose
// wall time is w, the earliest; when none has it (the wall time is in the
// gap of a change), the instant of w at the offset before the change.
func (l *Layout) resolve(w int64) int64 {
	if l.loc == time.UTC {
		return w
	}
	if w >= l.safeLo && w < l.safeHi {
		return w - l.safeOff
	}
	ps := l.periods(w-maxWallShift, w+maxWallShift)
	best, found := int64(0), false
	for i, p := range ps {
		if c := w - p.off; c >= p.start && c < p.end {
			if !found || c < best {
				best, found = c, true
			}
		}
		if i > 0 && !found {
			prev := ps[i-1]
			if t := p.start; w-prev.off >= t && w-p.off < t {
				best, found = w-prev.off, true // in the gap: the offset before
			}
		}
	}
	if !found {
		// Not reached for tz data (each instant is in one period); read w
		// as UTC rather than guess.
		return w
	}
	// Remember the walls around w that only this period holds: those of
	// its instants less the overlap or gap at either end.
	for _, p := range ps {
		if best < p.start || best >= p.end {
			continue
		}
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if p.start != math.MinInt64 {
			lo = p.start + max(p.off, l.offsetAt(p.start-1))
		}
		if p.end != math.MaxInt64 {
			hi = p.end + min(p.off, l.offsetAt(p.end))
		}
		if w >= lo && w < hi && best == w-p.off {
			l.safeLo, l.safeHi, l.safeOff = lo, hi, p.off
		}
		break
	}
	return best
}

// parseLeap retries a value the time package refused for a leap second:
// the :60 is read as :59, and the result must be 23:59:59 UTC.
func (l *Layout) parseLeap(b []byte, err error) (int64, error) {
	var pe *time.ParseError
	if !errors.As(err, &pe) || pe.Message != ": second out of range" {
		return 0, errTimestamp
	}
	i := len(pe.Value) - len(pe.ValueElem) - 2
	if i < 0 || i+2 > len(b) || b[i] != '6' || b[i+1] != '0' {
		return 0, errTimestamp
	}
	v := string(b[:i]) + "59" + string(b[i+2:])
	secs, _, err := l.instant(v)
	if err != nil {
		return 0, errTimestamp
	}
	ns, ok := leapNanos(secs)
	if !ok {
		return 0, errTimestamp
	}
	return ns, nil
}
