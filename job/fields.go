package job

import (
	"fmt"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
)

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

// missingFields lists the configured fields that had no value in any event
// aggregated in c: events outside --date are counted, never written, so a
// value there leaves every committed column empty all the same. A run
// without such events lists none: there was nothing to look in, and the
// run fails or commits empty partitions for that reason.
func missingFields(cfg *settings.Config, spec features.Spec, c *features.Counts) []MissingField {
	if c.Aggregated() == 0 {
		return nil
	}
	var out []MissingField
	for _, f := range c.Presence(spec) {
		if f.Events == 0 {
			out = append(out, MissingField{Setting: settingFlag(cfg, fieldSettings[f.Role]), Field: f.Path})
		}
	}
	return out
}

func settingFlag(cfg *settings.Config, field string) string {
	for _, s := range settings.Settings(cfg) {
		if s.Field == field {
			return s.Flag
		}
	}
	return field
}

// checkFields records in the summary, and logs, every configured field
// that had no value in any event the run aggregated. With --strict-fields
// each date is judged on its own events (see judge).
func (rs *runState) checkFields(c *features.Counts) {
	missing := missingFields(rs.cfg, rs.res.Spec, c)
	if len(missing) == 0 {
		return
	}
	rs.sum.Missing = missing
	n := c.Aggregated()
	names := make([]string, len(missing))
	for i, m := range missing {
		names[i] = fmt.Sprintf("--%s %q", m.Setting, m.Field)
		w := fmt.Sprintf("%s had no value in any of %d events: is the name right?", names[i], n)
		rs.sum.Warnings = append(rs.sum.Warnings, w)
		rs.log.Warn("configured field never appeared", "setting", m.Setting, "field", m.Field, "events", n)
	}
}
