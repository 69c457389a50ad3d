package job

import (
	"fmt"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// UnknownLevels are the level values of a run's events that were neither a
// known error, warning nor non-error; see table.UnknownLevels.
type UnknownLevels = table.UnknownLevels

// unknownLevels returns the unknown levels of the events aggregated in c,
// or nil when there were none.
func unknownLevels(cfg *settings.Config, c *features.Counts) *UnknownLevels {
	if c.UnknownLevel == 0 {
		return nil
	}
	return &UnknownLevels{Field: cfg.LevelField, Events: c.UnknownLevel,
		Values: c.UnknownLevels.Top(), AllValues: c.UnknownLevels.All()}
}

// shownLevelValues is how many values a warning names.
const shownLevelValues = 5

// describeUnknownLevels says, in one line, how many events had unknown levels and which
// values were the most frequent.
func (rs *runState) describeUnknownLevels(u *UnknownLevels) string {
	vals := make([]string, 0, shownLevelValues)
	for _, v := range u.Values[:min(len(u.Values), shownLevelValues)] {
		vals = append(vals, fmt.Sprintf("%q %d", v.Value, v.Count))
	}
	among := ""
	if !u.AllValues {
		among = fmt.Sprintf(" of the %d byte-wise smallest of more distinct values", len(u.Values))
	}
	return fmt.Sprintf("--%s %q had %d values that are not known levels (most frequent%s: %s)",
		settingFlag(rs.cfg, "LevelField"), u.Field, u.Events, among, strings.Join(vals, ", "))
}

// checkLevels records in the summary, warns of and logs the events whose
// level was not a known one: counted as non-errors, they may be errors
// the vocabulary does not name (pino's 50, syslog's 3). With
// --strict-fields a date holding any is not committed (see judge), as a
// date in which a field never has a value is not.
func (rs *runState) checkLevels(c *features.Counts) {
	u := unknownLevels(rs.cfg, c)
	if u == nil {
		return
	}
	rs.sum.UnknownLevels = u
	what := rs.describeUnknownLevels(u)
	rs.sum.Warnings = append(rs.sum.Warnings, what+"; set --level-map")
	rs.log.Warn("level values that are not known levels", "setting", settingFlag(rs.cfg, "LevelField"), "field", u.Field,
		"events", u.Events, "values", u.Values, "all_values", u.AllValues)
}
