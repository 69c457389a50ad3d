package job

import (
	"fmt"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/quality"
)

// MissingField is a configured field no event held; see quality.MissingField.
type MissingField = quality.MissingField

// checkFields records in the summary, and logs, every configured field
// that had no value in any event the run aggregated. With --strict-fields
// each date is judged on its own events (see judge).
func (rs *runState) checkFields(c *features.Counts) {
	missing := quality.Missing(rs.cfg, rs.res.Spec, c)
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
