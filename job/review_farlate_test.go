package job_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/settings"
)

// review: unwarned loss — in a templated input, the events of a date two
// or more days away that sit in a folder only this run lists (a producer
// that buffered through an outage, then uploaded) are counted out_of_range
// and written by no run, with no warning: the neighbour check only looks
// at the dates either side. The package's own rule is that in a templated
// input the events no run writes are "warned about from the first one".
func TestReviewFarLateEventsInTemplateWarned(t *testing.T) {
	day := time.Date(2025, 11, 9, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		tmpl     string
		folder   string // where every event of the test arrived
		lateness string
		late     time.Time // stamp of the far-late events
	}{
		{"daily, 2 days late", "{yyyy}/{mm}/{dd}/", "2025/11/09/", "auto", day.Add(-36 * time.Hour)},
		{"hourly, 26h late", "{yyyy}/{mm}/{dd}/{hh}/", "2025/11/09/02/", "auto", day.Add(-24*time.Hour - 30*time.Minute)},
		{"daily, 3 days early (clock ahead)", "{yyyy}/{mm}/{dd}/", "2025/11/09/", "auto", day.Add(72 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := localLayout(t)
			var b bytes.Buffer
			for i := range 100 {
				b.WriteString(arrival{ts: day.Add(time.Duration(i) * time.Minute)}.line(i))
			}
			const far = 5
			for i := range far {
				b.WriteString(arrival{ts: tc.late.Add(time.Duration(i) * time.Second), errored: true}.line(i))
			}
			st.put(t, tc.folder+"part-0.jsonl", b.Bytes())
			s, err := layoutRun(t, st, tc.tmpl, "out", "2025-11-09", func(c *settings.Config) { c.InputLateness = tc.lateness })
			if err != nil {
				t.Fatal(err)
			}
			if s.OutOfRange != far {
				t.Fatalf("out_of_range %d, want %d", s.OutOfRange, far)
			}
			date := tc.late.Format(time.DateOnly)
			warned := false
			for _, w := range s.Warnings {
				warned = warned || strings.Contains(w, date)
			}
			if !warned {
				t.Errorf("%d events of %s in %s, which the run of %s does not list (lateness %s): no run writes them, and the run of 2025-11-09 exits 0 with no warning (warnings %q, neighbours %+v)",
					far, date, tc.folder, date, tc.lateness, s.Warnings, s.Neighbours)
			}
		})
	}
}
