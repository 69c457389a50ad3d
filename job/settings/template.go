package settings

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// An input template is an input URL holding time placeholders: each is
// replaced by a field of the folder's time, as its writer named it, in
// the folder zone (--input-zone). A template whose finest placeholder is
// an hour names hourly folders; any other names daily folders.
//
//	{yyyy} year      {mm} month 01-12   {dd} day 01-31   {hh} hour 00-23
//	                 {m}  month 1-12    {d}  day 1-31    {h}  hour 0-23
//	{date} YYYY-MM-DD
//
// Hive-style segments are plain text around them:
// year={yyyy}/month={m}/day={d}/hour={h}/.
var placeholders = []placeholder{
	{"{yyyy}", false, false, func(t time.Time) string { return t.Format("2006") }},
	{"{mm}", false, false, func(t time.Time) string { return t.Format("01") }},
	{"{m}", true, false, func(t time.Time) string { return strconv.Itoa(int(t.Month())) }},
	{"{dd}", false, false, func(t time.Time) string { return t.Format("02") }},
	{"{d}", true, false, func(t time.Time) string { return strconv.Itoa(t.Day()) }},
	{"{hh}", false, true, func(t time.Time) string { return t.Format("15") }},
	{"{h}", true, true, func(t time.Time) string { return strconv.Itoa(t.Hour()) }},
	{"{date}", false, false, func(t time.Time) string { return t.Format(time.DateOnly) }},
}

// placeholder is one time field a template may hold.
type placeholder struct {
	name     string
	unpadded bool // a number of variable width: 1 to 2 digits
	hour     bool // names an hour, not a day
	format   func(t time.Time) string
}

// templatePart is a literal run of a template (ph nil) or a placeholder.
type templatePart struct {
	text string
	ph   *placeholder
}

// parseTemplate splits s into literal text and placeholders.
func parseTemplate(s string) []templatePart {
	var parts []templatePart
	lit := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		for k := range placeholders {
			p := &placeholders[k]
			if strings.HasPrefix(s[i:], p.name) {
				if lit < i {
					parts = append(parts, templatePart{text: s[lit:i]})
				}
				parts = append(parts, templatePart{text: p.name, ph: p})
				i += len(p.name) - 1
				lit = i + 1
				break
			}
		}
	}
	if lit < len(s) {
		parts = append(parts, templatePart{text: s[lit:]})
	}
	return parts
}

// IsTemplate reports whether an input URL holds time placeholders.
func IsTemplate(input string) bool {
	for _, p := range parseTemplate(input) {
		if p.ph != nil {
			return true
		}
	}
	return false
}

// templateFixed returns the part of input before its first placeholder:
// all of it when it holds none.
func templateFixed(input string) string {
	ps := parseTemplate(input)
	if len(ps) == 0 || ps[0].ph != nil {
		return ""
	}
	return ps[0].text
}

// ExpandTemplate replaces each placeholder of input with the field of t's
// wall clock, in t's location.
func ExpandTemplate(input string, t time.Time) string {
	var b strings.Builder
	for _, p := range parseTemplate(input) {
		if p.ph != nil {
			b.WriteString(p.ph.format(t))
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// hourly reports whether the template names hourly folders.
func hourly(input string) bool {
	for _, p := range parseTemplate(input) {
		if p.ph != nil && p.ph.hour {
			return true
		}
	}
	return false
}

// EndsUnpadded reports whether the template ends with an unpadded
// placeholder: the prefix of hour 1 is then also the start of hours 10 to
// 19, and the keys that go on with a digit are not its own.
func EndsUnpadded(input string) bool {
	ps := parseTemplate(input)
	return len(ps) > 0 && ps[len(ps)-1].ph != nil && ps[len(ps)-1].ph.unpadded
}

// checkTemplate refuses a template that cannot name one folder per time:
// an hour without a day, or an unpadded number followed by a digit or
// another placeholder ({d}{h} names 1 Nov 11:00 and 11 Nov 1:00 both
// "111").
func checkTemplate(input string) error {
	ps := parseTemplate(input)
	var hour, day bool
	for i, p := range ps {
		if p.ph == nil {
			continue
		}
		hour = hour || p.ph.hour
		day = day || p.ph.name == "{dd}" || p.ph.name == "{d}" || p.ph.name == "{date}"
		if p.ph.unpadded && i+1 < len(ps) {
			next := ps[i+1]
			if next.ph != nil || next.text[0] >= '0' && next.text[0] <= '9' {
				return fmt.Errorf("%s is followed by %q: an unpadded number must be followed by a separator that is not a digit", p.ph.name, next.text)
			}
		}
	}
	if hour && !day {
		return errors.New("an hour placeholder ({hh} or {h}) needs a day ({dd}, {d} or {date}) in the template")
	}
	return nil
}

// folderTimes returns, in zone, the start of every folder (an hour or a
// day of zone's wall clock) of which some instant lies in [from, to), in
// time order, each once. A wall-clock hour that a change of offset
// repeats (clocks going back) is one folder; one it skips (clocks going
// forward) is none. A folder whose start was skipped is returned at its
// first instant.
func folderTimes(from, to time.Time, zone *time.Location, hour bool) []time.Time {
	var out []time.Time
	seen := map[time.Time]bool{}
	for t := from.In(zone); t.Before(to); {
		y, mo, d := t.Date()
		h := 0
		if hour {
			h = t.Hour()
		}
		label := time.Date(y, mo, d, h, 0, 0, 0, time.UTC) // the folder's name, as a wall time
		if !seen[label] {
			seen[label] = true
			out = append(out, t)
		}
		// The wall clock runs evenly until the zone's offset next
		// changes: the next folder starts at the next wall hour (or
		// midnight), or at that change, whichever comes first.
		wall := time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		next := label.Add(time.Hour)
		if !hour {
			next = label.AddDate(0, 0, 1)
		}
		n := t.Add(next.Sub(wall))
		if _, end := t.ZoneBounds(); !end.IsZero() && end.Before(n) {
			n = end.In(zone)
		}
		t = n
	}
	return out
}

// templateRange returns the instants whose folders a dated run of day
// lists: an event of the day (or of the widened days around it) lands in
// the folder of its arrival, from the day's start to lateness after its
// end.
func templateRange(day time.Time, widen int, lateness time.Duration) (from, to time.Time) {
	return day.AddDate(0, 0, -widen), day.AddDate(0, 0, 1+widen).Add(lateness)
}

// FolderDates returns, for each folder of the template input a dated run
// of day lists (see expandDate), the one UTC date its time span lies in,
// or no entry when it spans two (a daily folder of a zone other than UTC).
func FolderDates(input string, day time.Time, widen int, lateness time.Duration, zone *time.Location) map[string]string {
	from, to := templateRange(day, widen, lateness)
	out := map[string]string{}
	hour := hourly(input)
	for _, t := range folderTimes(from, to, zone, hour) {
		end := t.Add(time.Hour)
		if !hour {
			y, m, d := t.Date()
			end = time.Date(y, m, d+1, 0, 0, 0, 0, zone)
		}
		first, last := t.UTC().Format(time.DateOnly), end.Add(-1).UTC().Format(time.DateOnly)
		if first == last {
			out[ExpandTemplate(input, t)] = first
		}
	}
	return out
}

// ExpandDate returns the URLs a dated run of day lists for the template
// input: one per folder (in zone, hourly or daily as the template names
// them) of which some instant lies in templateRange, in time order, each
// once.
func ExpandDate(input string, day time.Time, widen int, lateness time.Duration, zone *time.Location) []string {
	from, to := templateRange(day, widen, lateness)
	var urls []string
	seen := map[string]bool{}
	for _, t := range folderTimes(from, to, zone, hourly(input)) {
		u := ExpandTemplate(input, t)
		if !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	return urls
}
