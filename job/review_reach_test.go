package job_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/settings"
)

// review: wrong numbers at exit 0 — a dated run commits the sliding
// windows that start on its date, which reach into the next date (a
// 1h/5m window starting 23:30 ends at 00:30), but it lists the folders of
// [D, D+1 + lateness) only: the events of D+1 00:00–00:30 those windows
// need, arriving within the declared lateness in a folder after D+1's
// first (here D+1/01, 50 minutes late, under the 1h default), are never
// read. The windows crossing midnight are committed short, with no
// warning; D+1's run reads those events but does not write windows that
// start on D.
func TestReviewSlidingWindowReachListed(t *testing.T) {
	const tmpl = "{yyyy}/{mm}/{dd}/{hh}/"
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	next := day.Add(24 * time.Hour)
	for _, tc := range []struct {
		name     string
		window   string
		lateness string
		stamp    time.Time // events of D+1 inside the reach of D's last windows
		arrived  time.Time
	}{
		{"1h/5m, 50m late, lateness auto", "1h/5m", "auto", next.Add(20 * time.Minute), next.Add(70 * time.Minute)},
		{"2h/5m, 2m late, lateness auto", "2h/5m", "auto", next.Add(70 * time.Minute), next.Add(72 * time.Minute)},
		{"30m/5m, on time, lateness 0", "30m/5m", "0", next.Add(10 * time.Minute), next.Add(10 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := localLayout(t)
			var in, late bytes.Buffer
			const own, reach = 30, 4
			for i := range own { // D 23:40-23:49, on time, in D/23
				in.WriteString(arrival{ts: day.Add(23*time.Hour + 40*time.Minute + time.Duration(i)*20*time.Second)}.line(i))
			}
			for i := range reach {
				late.WriteString(arrival{ts: tc.stamp.Add(time.Duration(i) * time.Second)}.line(i))
			}
			st.put(t, "2025/11/08/23/a.jsonl", in.Bytes())
			st.put(t, settings.ExpandTemplate(tmpl, tc.arrived)+"b.jsonl", late.Bytes())
			s, err := layoutRun(t, st, tmpl, "out", "2025-11-08", func(c *settings.Config) {
				c.Window, c.InputLateness = []string{tc.window}, tc.lateness
			})
			if err != nil {
				t.Fatal(err)
			}
			// The window starting 23:45 holds the own events from 23:45 on and
			// the next date's events stamped inside it.
			got := committedCounts(t, st, "out", "2025-11-08")["2025-11-08T23:45:00Z"][0]
			var want int64 = reach
			for i := range own {
				if ts := day.Add(23*time.Hour + 40*time.Minute + time.Duration(i)*20*time.Second); !ts.Before(day.Add(23*time.Hour + 45*time.Minute)) {
					want++
				}
			}
			if got != want {
				t.Errorf("window 2025-11-08T23:45 (%s): %d events committed, want %d: the %d events of 2025-11-09 it spans, in %s within --input-lateness %s, were not listed (objects %d, warnings %q)",
					tc.window, got, want, reach, settings.ExpandTemplate(tmpl, tc.arrived), tc.lateness, s.Objects, s.Warnings)
			}
		})
	}
}
