package job

import (
	"errors"
	"fmt"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/spill"
)

// newStore returns the run's aggregate: partials as newPartial makes them,
// spilled to --spill-dir past a share of the memory limit (spill.Budget).
func (rs *runState) newStore() *spill.Store {
	g := rs.opts.Memory
	budget := spill.Budget(rs.opts.SpillBudget, g.Limit.Bytes, g.Parallel, memcheck.Estimate(rs.cfg, rs.res).Fixed)
	return spill.New(rs.newPartial(), spill.Options{Dir: rs.cfg.SpillDir, Budget: budget,
		Range: spill.RangeFor(features.PaneFor(rs.res.Windows), rs.res.Windows), Dense: !rs.cfg.Sparse})
}

// closeStore removes what the run spilled, reported in the summary and log.
func (rs *runState) closeStore(s *spill.Store) {
	if st := s.Stats(); st.Sections > 0 {
		rs.sum.Spill = &st
		rs.log.Info("aggregate spilled to local disk", "dir", st.Dir, "spills", st.Spills, "sections", st.Sections, "bytes", st.Bytes, "budget", memcheck.FormatBytes(st.Budget))
	}
	if err := s.Close(); err != nil {
		rs.log.Warn("remove spill files", "error", err)
	}
}

// spillErr sorts a failure of the aggregate's spill: a folder that cannot
// be made is the setting's (exit 2), a write that fails (a full disk) is
// retried by the next run, a section read back corrupt is a halt.
func spillErr(err error) error {
	var de *spill.DirError
	switch {
	case errors.As(err, &de) && !de.Made:
		return failure.New(failure.KindBadSetting, fmt.Errorf("LOGSMITH_SPILL_DIR (--spill-dir): %w; nothing committed", err))
	case errors.As(err, &de):
		return failure.New(failure.KindRetry, fmt.Errorf("spill the aggregate (LOGSMITH_SPILL_DIR, --spill-dir): %w; nothing committed", err))
	case errors.Is(err, spill.ErrCorrupt):
		return failure.New(failure.KindHalt, fmt.Errorf("read back the spilled aggregate: %w; nothing committed", err))
	}
	return err
}
