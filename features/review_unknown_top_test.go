package features

import (
	"strconv"
	"testing"
	"time"
)

// review: misleading report — the issue asks for the unknown levels'
// "most frequent values in the summary and manifest"; LevelValues keeps the
// 32 byte-wise smallest distinct values instead. Once more than 32 distinct
// values are seen, the value that makes up nearly all unknown events can be
// missing from Top (and so from the summary, manifest and warning, which
// still says "most frequent"): here "fehler" (German for error), 10000
// events, is dropped behind 40 values seen once.
func TestReviewUnknownLevelsTopHoldsMostFrequent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dominant string
		rare     func(i int) string
	}{
		{"numbers before a name", "fehler", func(i int) string { return strconv.Itoa(100 + i) }},
		{"capitals before lower case", "warnung", func(i int) string { return "Code" + strconv.Itoa(i) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPartial(time.Minute, 0)
			for i := range 40 {
				p.Add(&Event{Time: day, Level: LevelUnknown, LevelText: []byte(tc.rare(i))})
			}
			for range 10000 {
				p.Add(&Event{Time: day, Level: LevelUnknown, LevelText: []byte(tc.dominant)})
			}
			top := p.Counts.UnknownLevels.Top()
			if len(top) == 0 || top[0] != (LevelValue{tc.dominant, 10000}) {
				first := LevelValue{}
				if len(top) > 0 {
					first = top[0]
				}
				t.Errorf("%d unknown events, %d of them %q: Top's first is %+v (%d values kept, all %v), want %q 10000",
					p.Counts.UnknownLevel, 10000, tc.dominant, first, len(top), p.Counts.UnknownLevels.All(), tc.dominant)
			}
		})
	}
}
