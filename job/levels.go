package job

import (
	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/quality"
	"github.com/logsmith/logsmith/table"
)

// UnknownLevels are the level values of a run's events that were neither a
// known error, warning nor non-error; see table.UnknownLevels.
type UnknownLevels = table.UnknownLevels

// checkLevels records in the summary, warns of and logs the events whose
// level was not a known one: counted as non-errors, they may be errors
// the vocabulary does not name (pino's 50, syslog's 3). With
// --strict-fields a date holding any is not committed (see judge), as a
// date in which a field never has a value is not.
func (rs *runState) checkLevels(c *features.Counts) {
	u := quality.UnknownLevels(rs.cfg, c)
	if u == nil {
		return
	}
	rs.sum.UnknownLevels = u
	what := quality.DescribeUnknownLevels(rs.cfg, u)
	rs.sum.Warnings = append(rs.sum.Warnings, what+"; set --level-map")
	rs.log.Warn("level values that are not known levels", "setting", quality.SettingFlag(rs.cfg, "LevelField"), "field", u.Field,
		"events", u.Events, "values", u.Values, "all_values", u.AllValues)
}
