package report

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logsmith/logsmith/table"
)

func at(hhmm string) time.Time {
	t, err := time.Parse(time.DateTime, "2025-11-08 "+hhmm+":00")
	if err != nil {
		panic(err)
	}
	return t
}

// win is a window from from to to (hh:mm); a to before from is on the
// next day.
func win(from, to string, events int64) Point {
	p := Point{Start: at(from), End: at(to), Events: events}
	if p.End.Before(p.Start) {
		p.End = p.End.AddDate(0, 0, 1)
	}
	return p
}

// TestHoursRefusesWindowsThatDoNotAddUp is the class of tables whose
// windows summed per hour would count an event twice (overlapping,
// sliding windows, even when none straddles an hour, as in a sparse
// table) or in an hour it is not in (a window longer than an hour, or
// crossing one).
func TestHoursRefusesWindowsThatDoNotAddUp(t *testing.T) {
	for _, c := range []struct {
		name, window string
		points       []Point
		refused      bool
	}{
		{"tumbling 5m", "5m", []Point{win("00:00", "00:05", 3), win("00:55", "01:00", 2), win("23:55", "00:00", 1)}, false},
		{"tumbling 1h", "1h", []Point{win("00:00", "01:00", 3), win("23:00", "00:00", 4)}, false},
		{"tumbling 20m", "20m", []Point{win("00:40", "01:00", 3)}, false},
		{"sliding, none crossing an hour", "10m-every-5m", []Point{win("00:00", "00:10", 3), win("00:05", "00:15", 3)}, true},
		{"sliding, one window", "10m-every-5m", []Point{win("04:00", "04:10", 3)}, true},
		{"45m crosses an hour", "45m", []Point{win("00:00", "00:45", 1), win("00:45", "01:30", 1)}, true},
		{"2h", "2h", []Point{win("02:00", "04:00", 1)}, true},
		{"1h not on the hour", "1h", []Point{win("00:30", "01:30", 1)}, true},
		{"empty window", "5m", []Point{win("00:05", "00:05", 1)}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &Partition{Window: c.window, Date: "2025-11-08", Points: c.points}
			hours, err := p.Hours()
			if refused := errors.Is(err, ErrNotHourly); refused != c.refused || (err != nil && !refused) {
				t.Fatalf("Hours() error = %v, want refused %v", err, c.refused)
			}
			if c.refused {
				return
			}
			var sum, want int64
			for _, h := range hours {
				sum += h.Events
			}
			for _, w := range c.points {
				want += w.Events
				// The day's last window ends at the next midnight.
				if h := hours[w.Start.Hour()]; h.Events < w.Events {
					t.Errorf("window %s not in hour %s", w.Start, h.Start)
				}
			}
			if len(hours) != 24 || sum != want {
				t.Errorf("%d hours holding %d events, want 24 holding %d", len(hours), sum, want)
			}
		})
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestWriteTextFits is the class of charts that overflow a terminal or
// colour a pipe: for random partitions (huge counts, long reasons, null
// latencies), every line fits Width columns, and without Color there is
// no escape sequence.
func TestWriteTextFits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		p := &Partition{Window: "5m", Date: "2025-11-08", Rows: r.IntN(1 << 30),
			Manifest: &table.Manifest{RunID: "20251109T000000Z-deadbeef", BadLines: r.Int64(), Lines: r.Int64(), BadByReason: map[string]int64{}}}
		for range r.IntN(6) {
			p.Manifest.BadByReason[strings.Repeat("x", 1+r.IntN(60))+fmt.Sprint(r.IntN(9))] = r.Int64N(1 << 62)
		}
		for h := range 24 {
			if r.IntN(4) == 0 {
				continue
			}
			s := at("00:00").Add(time.Duration(h) * time.Hour)
			w := Point{Start: s, End: s.Add(5 * time.Minute), Events: r.Int64N(1 << (1 + r.IntN(62)))}
			w.Errors = r.Int64N(w.Events + 1)
			if r.IntN(3) > 0 {
				v := r.ExpFloat64() * float64(r.Int64N(1<<40))
				w.P99 = &v
			}
			p.Points = append(p.Points, w)
		}
		hours, err := p.Hours()
		if err != nil {
			t.Fatal(err)
		}
		for _, color := range []bool{false, true} {
			var b strings.Builder
			if err := WriteText(&b, p, hours, TextOptions{Color: color}); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if !color && strings.Contains(out, "\x1b") {
				t.Fatalf("escape sequence without colour:\n%q", out)
			}
			for _, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > Width {
					t.Fatalf("case %d (colour %v): a line of %d columns:\n%s", i, color, n, line)
				}
			}
		}
	}
}
