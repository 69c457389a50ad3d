package spill

import (
	"time"

	"github.com/logsmith/logsmith/features"
)

const dayNs = int64(24 * time.Hour)

// RangeFor returns the length of the time ranges a run's panes are spilled
// and read back by: the shortest multiple of every window's slide and of
// pane that is at least an hour and divides a day, so that every window
// starts in exactly one range and the ranges of a date tile it. It
// returns a day when nothing shorter does.
func RangeFor(pane time.Duration, ws []features.Window) time.Duration {
	l := int64(pane)
	for _, w := range ws {
		s := int64(w.Slide)
		if s <= 0 {
			s = int64(w.Size)
		}
		l = lcm(l, s)
	}
	for m := int64(1); l*m < dayNs; m++ {
		if r := l * m; r >= int64(time.Hour) && dayNs%r == 0 {
			return time.Duration(r)
		}
	}
	return 24 * time.Hour
}

func lcm(a, b int64) int64 {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// DefaultBudget is the budget Budget gives when the process sees no
// memory limit, so that an undated run over many days does not hold them
// all: 128 MiB of estimated cells, ~450–650 MiB of peak RSS measured
// without GOMEMLIMIT (the collector lets the heap grow to twice its live
// data), however many days.
const DefaultBudget = 128 << 20

// Budget returns the estimated bytes a run's in-memory aggregate may hold
// before it spills: a third of what the memory limit (0: none) leaves,
// shared by parallel runs at once, once fixed (the runtime, the workers'
// buffers) is counted; at least 8 MiB; DefaultBudget without a limit. The
// other two thirds are for what the estimate does not count: the partials
// being read and merged, the collector's headroom, the ranges read back
// and the rows encoded at the end. A set budget (not 0) is taken as it is,
// negative as 0 (never spill).
func Budget(set, limit int64, parallel int, fixed int64) int64 {
	if set != 0 {
		return max(set, 0)
	}
	if limit <= 0 {
		return DefaultBudget
	}
	return max((limit/int64(max(parallel, 1))-fixed)/3, 8<<20)
}
