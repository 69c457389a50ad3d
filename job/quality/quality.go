package quality

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// RunWide is the key of the input no date can be told of: units with no
// event (every line bad, blank, or an object damaged at its head) outside
// a template's folder of one date. It counts against every date the run
// commits.
const RunWide = ""

// Read is what reading one unit gave, as the attribution needs it.
type Read struct {
	Partial   *features.Partial // the unit's partial aggregate
	BytesRead int64             // the bytes read (standard input's size)
	Damaged   bool              // the object could not be read to its end
	Rejected  bool              // the object was rejected whole: none of its lines kept
}

// Attribute attributes what unit u read to the UTC dates of its events, in
// proportion to its events of each date: a bad line or a damaged object
// has no trustworthy date, and the unit's good events are the best witness
// of whose input it was. A unit without events is its template folder's
// date when the folder covers one UTC date, else RunWide. An object
// rejected whole counts as damaged, with none of its lines; a byte range
// counts as its share of the object's bytes.
func Attribute(u input.Unit, r Read) map[string]table.Quality {
	p := r.Partial
	var q table.Quality
	if !r.Rejected {
		q.Lines, q.BadLines = float64(p.Counts.Lines), float64(p.Counts.BadTotal())
	}
	q.Objects = 1
	q.Bytes = float64(u.Size())
	if !u.Whole() && u.In.Info.Size > 0 {
		q.Objects = float64(u.Size()) / float64(u.In.Info.Size)
	}
	if u.Size() < 0 { // standard input: its size is what was read
		q.Bytes = float64(r.BytesRead)
	}
	if r.Damaged {
		q.DamagedObjects, q.DamagedBytes = q.Objects, q.Bytes
	}
	days := p.Days()
	var events int64
	for _, c := range days {
		events += c.Events
	}
	out := map[string]table.Quality{}
	if events == 0 {
		out[cmp.Or(u.In.FolderDate, RunWide)] = q
		return out
	}
	for d, c := range days {
		var dq table.Quality
		dq.Add(q, float64(c.Events)/float64(events))
		out[d] = dq
	}
	return out
}

// Add adds src's attributions to dst, making dst when it is nil.
func Add(dst *map[string]table.Quality, src map[string]table.Quality) {
	if *dst == nil {
		*dst = map[string]table.Quality{}
	}
	for d, q := range src {
		a := (*dst)[d]
		a.Add(q, 1)
		(*dst)[d] = a
	}
}

// TooBroken says which shares of q are over maxRatio (--max-bad-ratio):
// bad lines, damaged objects, bytes in damaged objects.
func TooBroken(q table.Quality, maxRatio float64) []string {
	var why []string
	if q.Lines > 0 && q.BadLines/q.Lines > maxRatio {
		why = append(why, fmt.Sprintf("%s of %s lines are bad (%.4f > --max-bad-ratio %g)",
			num(q.BadLines), num(q.Lines), q.BadLines/q.Lines, maxRatio))
	}
	if q.Objects > 0 && q.DamagedObjects/q.Objects > maxRatio {
		why = append(why, fmt.Sprintf("%s of %s input objects are damaged (%.4f > --max-bad-ratio %g)",
			num(q.DamagedObjects), num(q.Objects), q.DamagedObjects/q.Objects, maxRatio))
	}
	if q.Bytes > 0 && q.DamagedBytes/q.Bytes > maxRatio {
		why = append(why, fmt.Sprintf("%s of %s input bytes are in damaged objects (%.4f > --max-bad-ratio %g)",
			num(q.DamagedBytes), num(q.Bytes), q.DamagedBytes/q.Bytes, maxRatio))
	}
	return why
}

// num writes an attributed count: whole numbers as integers.
func num(v float64) string {
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d", int64(v))
	}
	return fmt.Sprintf("%.2f", v)
}

// MissingField is a configured field that had no value (was missing or
// null) in any event of a run: most likely a wrong name, whose column is
// then empty or null in every row.
type MissingField struct {
	Setting string `json:"setting"` // the flag naming it, e.g. "latency-field"
	Field   string `json:"field"`   // the configured path
}

// fieldSettings maps a features.FieldPresence role to its setting.
var fieldSettings = map[string]string{
	"level": "LevelField", "latency": "LatencyField", "status": "StatusField",
	"bytes": "BytesField", "distinct": "DistinctField", "group_by": "GroupBy",
}

// Missing lists the configured fields that had no value in any event
// aggregated in c: events outside --date are counted, never written, so a
// value there leaves every committed column empty all the same. A run
// without such events lists none: there was nothing to look in, and the
// run fails or commits empty partitions for that reason.
func Missing(cfg *settings.Config, spec features.Spec, c *features.Counts) []MissingField {
	if c.Aggregated() == 0 {
		return nil
	}
	var out []MissingField
	for _, f := range c.Presence(spec) {
		if f.Events == 0 {
			out = append(out, MissingField{Setting: SettingFlag(cfg, fieldSettings[f.Role]), Field: f.Path})
		}
	}
	return out
}

// SettingFlag is the flag of the setting whose Config field is named
// field, or field itself when no setting has it.
func SettingFlag(cfg *settings.Config, field string) string {
	for _, s := range settings.Settings(cfg) {
		if s.Field == field {
			return s.Flag
		}
	}
	return field
}

// UnknownLevels returns the unknown levels of the events aggregated in c,
// or nil when there were none.
func UnknownLevels(cfg *settings.Config, c *features.Counts) *table.UnknownLevels {
	if c.UnknownLevel == 0 {
		return nil
	}
	return &table.UnknownLevels{Field: cfg.LevelField, Events: c.UnknownLevel,
		Values: c.UnknownLevels.Top(), AllValues: c.UnknownLevels.All()}
}

// shownLevelValues is how many values a warning names.
const shownLevelValues = 5

// DescribeUnknownLevels says, in one line, how many events had unknown levels and which
// values were the most frequent.
func DescribeUnknownLevels(cfg *settings.Config, u *table.UnknownLevels) string {
	vals := make([]string, 0, shownLevelValues)
	for _, v := range u.Values[:min(len(u.Values), shownLevelValues)] {
		vals = append(vals, fmt.Sprintf("%q %d", v.Value, v.Count))
	}
	among := ""
	if !u.AllValues {
		among = fmt.Sprintf(" of the %d byte-wise smallest of more distinct values", len(u.Values))
	}
	return fmt.Sprintf("--%s %q had %d values that are not known levels (most frequent%s: %s)",
		SettingFlag(cfg, "LevelField"), u.Field, u.Events, among, strings.Join(vals, ", "))
}
