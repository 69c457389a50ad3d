package job

import (
	"time"

	"github.com/logsmith/logsmith/features"
)

// newPartial returns an empty partial for this run's panes and date range:
// what each unit, a shard's merge and the memory check's sample aggregate
// into.
func (rs *runState) newPartial() *features.Partial {
	var reach time.Duration // how far past its start's date a window extends
	for _, w := range rs.res.Windows {
		reach = max(reach, w.Size-w.Slide)
	}
	p := features.NewPartial(features.PaneFor(rs.res.Windows), rs.res.MaxGroups)
	if rs.res.Date == "" {
		p.LimitPanes(rs.cfg.MaxPanes)
	}
	if rs.res.Date != "" {
		p.Restrict(rs.res.Day, rs.res.Day.AddDate(0, 0, 1).Add(reach))
		p.Near(rs.res.Day.AddDate(0, 0, -1), rs.res.Day.AddDate(0, 0, 2))
	}
	return p
}
