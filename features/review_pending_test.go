package features

import (
	"fmt"
	"strings"
	"testing"
)

// Review of issue 22: a join holds at most --max-line-bytes per stream,
// but the number of streams is whatever the second field says: CRI and
// Docker only ever write stdout and stderr, yet every other token opens a
// join of its own that stays open to the end of the object. An object of
// P lines (or Docker partial entries) under distinct stream names is held
// whole in memory, however large, instead of a bounded buffer.
func TestReviewJoinPendingBounded(t *testing.T) {
	const max, streams = 4096, 2000
	for _, c := range []struct {
		pl   string
		line func(i int) string
		held func(r stepRunner) int
	}{
		{"cri", func(i int) string {
			return fmt.Sprintf("2025-11-08T10:00:00Z s%d P %s\n", i, strings.Repeat("x", 1000))
		}, func(r stepRunner) (n int) {
			for _, pd := range r.(*criStep).pending {
				n += len(pd.message)
			}
			return n
		}},
		{"docker-join", func(i int) string {
			return fmt.Sprintf(`{"log":"%s","stream":"s%d","time":"T"}`+"\n", strings.Repeat("x", 1000), i)
		}, func(r stepRunner) (n int) {
			for _, pd := range r.(*dockerJoinStep).pending {
				n += len(pd.log) + len(pd.first)
			}
			return n
		}},
	} {
		var in strings.Builder
		for i := range streams {
			in.WriteString(c.line(i))
		}
		p, _ := ParsePipeline(c.pl, "")
		peak := 0
		r := newStepRunner(p.Steps[0], max)
		for i := range streams {
			r.apply([]byte(strings.TrimSuffix(c.line(i), "\n")), func([]byte) {}, func(Reason, []byte) {})
			peak = maxInt(peak, c.held(r))
		}
		if peak > 4*max {
			t.Errorf("%s: %d open joins hold %d bytes; want at most a few joins' worth (%d)", c.pl, streams, peak, 4*max)
		}
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
