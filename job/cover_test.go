package job_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// Issue 25 item 3: dense output never fabricates rows. It fills only the
// windows that overlap the span the input covers — from the first event
// the run saw to the last (a dated run that saw events of the days around
// its date covers the date from its start or to its end), or the date a
// templated input names — and the manifest records that span. Each case
// states the covered span by hand; the expected windows are every window
// starting on the date that overlaps it, enumerated here.
func TestDenseRowsOnlyOverTheCoveredSpan(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	type cover struct{ date, from, to string } // to "" = from: none covered
	for _, tc := range []struct {
		name     string
		events   []string // timestamp[/group]
		date     string
		template bool
		window   string
		groups   []string
		covers   []cover
	}{
		{name: "undated, stray events either side", window: "5m",
			events: []string{"2025-11-07T23:58:00Z", "2025-11-08T00:00:03Z", "2025-11-08T12:00:00Z", "2025-11-08T23:59:50Z", "2025-11-09T00:01:30Z"},
			covers: []cover{{"2025-11-07", "2025-11-07T23:55:00Z", "2025-11-08T00:00:00Z"}, {"2025-11-08", "2025-11-08T00:00:00Z", "2025-11-09T00:00:00Z"}, {"2025-11-09", "2025-11-09T00:00:00Z", "2025-11-09T00:05:00Z"}}},
		{name: "dated, input within the date", window: "5m", date: "2025-11-08",
			events: []string{"2025-11-08T03:02:00Z", "2025-11-08T19:58:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T03:00:00Z", "2025-11-08T20:00:00Z"}}},
		{name: "dated, input around the date", window: "5m", date: "2025-11-08",
			events: []string{"2025-11-07T22:00:00Z", "2025-11-08T03:02:00Z", "2025-11-08T19:58:00Z", "2025-11-09T01:00:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T00:00:00Z", "2025-11-09T00:00:00Z"}}},
		{name: "dated, input before the date and into it", window: "5m", date: "2025-11-08",
			events: []string{"2025-11-07T22:00:00Z", "2025-11-08T03:02:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T00:00:00Z", "2025-11-08T03:05:00Z"}}},
		{name: "dated, input from the date on", window: "1h", date: "2025-11-08",
			events: []string{"2025-11-08T03:02:00Z", "2025-11-12T00:00:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T03:00:00Z", "2025-11-09T00:00:00Z"}}},
		{name: "dated, templated: the date whole", window: "5m", date: "2025-11-08", template: true,
			events: []string{"2025-11-08T03:02:00Z", "2025-11-08T19:58:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T00:00:00Z", "2025-11-09T00:00:00Z"}}},
		{name: "sliding windows overlapping the span", window: "15m/5m",
			events: []string{"2025-11-08T10:07:00Z"},
			covers: []cover{{"2025-11-08", "2025-11-08T10:05:00Z", "2025-11-08T10:10:00Z"}}},
		{name: "groups", window: "5m", groups: []string{"a", "b"},
			events: []string{"2025-11-08T10:02:00Z/a", "2025-11-08T10:12:00Z/b"},
			covers: []cover{{"2025-11-08", "2025-11-08T10:00:00Z", "2025-11-08T10:15:00Z"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
			byDay := map[string][]string{}
			for _, e := range tc.events {
				ts, g, _ := strings.Cut(e, "/")
				line := fmt.Sprintf(`{"timestamp":%q,"level":"info","latency_ms":1,"g":%q}`, ts, g)
				byDay[ts[:10]] = append(byDay[ts[:10]], line)
			}
			for day, lines := range byDay {
				p := filepath.Join(in, strings.ReplaceAll(day, "-", "/"), "app.log")
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := runConfig(in, out, settings.S3Settings{})
			if tc.template {
				cfg.Input = in + "/{yyyy}/{mm}/{dd}/"
				cfg.InputLateness = "24h"
			}
			cfg.Date, cfg.Window, cfg.Format = tc.date, []string{tc.window}, []string{"csv"}
			if tc.groups != nil {
				cfg.GroupBy = []string{"g"}
			}
			if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
				t.Fatal(err)
			}
			w, _ := cfg.Windows()
			size, slide := w[0].Size, w[0].Size
			if w[0].Slide > 0 {
				slide = w[0].Slide
			}
			l, _ := storage.NewLocal(out)
			files := committed(t, l, out)
			if len(files) != len(tc.covers) {
				t.Errorf("committed %d partitions; want %d", len(files), len(tc.covers))
			}
			loc, _ := settings.ParseLocation(out)
			ms, err := listManifests(context.Background(), l, loc)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.covers {
				day := at(c.date + "T00:00:00Z")
				from, to := at(c.from), at(c.from)
				if c.to != "" {
					to = at(c.to)
				}
				var want []string
				for s := day; s.Before(day.AddDate(0, 0, 1)); s = s.Add(slide) {
					if s.Before(to) && s.Add(size).After(from) {
						for _, g := range append([]string{""}, tc.groups...)[min(1, len(tc.groups)):] {
							want = append(want, s.Format("2006-01-02T15:04:05Z")+"/"+g)
						}
					}
				}
				var got []string
				recs, err := csv.NewReader(strings.NewReader(string(files["date="+c.date+"/part.csv"]))).ReadAll()
				if err != nil || len(recs) == 0 {
					t.Fatalf("%s: %v", c.date, err)
				}
				for _, r := range recs[1:] {
					g := ""
					if tc.groups != nil {
						g = r[2]
					}
					got = append(got, r[0]+"/"+g)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s: %d rows %v…; want %d rows over [%s, %s) %v…", c.date, len(got), got[:min(3, len(got))], len(want), from, to, want[:min(3, len(want))])
				}
				var m *job.Manifest
				for _, x := range ms {
					if x.Date == c.date {
						m = x
					}
				}
				if m == nil || m.Covered == nil || !m.Covered.From.Equal(from) || !m.Covered.To.Equal(to) {
					t.Errorf("%s: manifest covered %+v; want [%s, %s)", c.date, m.Covered, from, to)
				}
			}
		})
	}
}
