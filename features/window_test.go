package features

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const defaultWindow = 5 * time.Minute

func rows(t *testing.T, p *Partial) []Row {
	t.Helper()
	rs, err := p.Table(Window{Size: defaultWindow}, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var day = time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC).UnixNano()

func TestWindowAlignment(t *testing.T) {
	p := NewPartial(defaultWindow, 0)
	for _, ts := range []int64{
		day + int64(4*time.Minute+59*time.Second),
		day,
		day - 1, // previous day's last window
		day + int64(5*time.Minute),
		time.Date(1969, 12, 31, 23, 58, 0, 0, time.UTC).UnixNano(), // before the epoch
	} {
		p.Add(&Event{Time: ts})
	}
	rows := rows(t, p)
	var starts []string
	for _, r := range rows {
		starts = append(starts, r.WindowStart.Format(time.RFC3339)+"/"+r.WindowEnd.Format("15:04"))
	}
	want := []string{"1969-12-31T23:55:00Z/00:00", "2025-11-07T23:55:00Z/00:00", "2025-11-08T00:00:00Z/00:05", "2025-11-08T00:05:00Z/00:10"}
	if !slices.Equal(starts, want) {
		t.Errorf("windows = %v, want %v", starts, want)
	}
	if rows[2].RequestCount != 2 {
		t.Errorf("first window of the day has %d requests, want 2", rows[2].RequestCount)
	}
}

func TestRowValues(t *testing.T) {
	p := NewPartial(defaultWindow, 0)
	lat := []float64{10, 20, 30, 40, 1000}
	for i, ms := range lat {
		e := Event{Time: day + int64(i)*int64(time.Second), Latency: int64(ms * 1e6), HasLatency: true}
		if i == 0 {
			e.Level = LevelError
		}
		if i == 1 {
			e.Level = LevelWarn
		}
		p.Add(&e)
	}
	p.Add(&Event{Time: day + int64(time.Minute)}) // no latency: counts as a request only
	r := rows(t, p)[0]
	if r.RequestCount != 6 || r.ErrorCount != 1 || r.WarnCount != 1 {
		t.Errorf("counts = %d %d %d", r.RequestCount, r.ErrorCount, r.WarnCount)
	}
	if *r.ErrorRate != 1.0/6 {
		t.Errorf("error rate = %v", r.ErrorRate)
	}
	if *r.LatencyAvg != 220 || *r.LatencyMin != 10 || *r.LatencyMax != 1000 {
		t.Errorf("avg/min/max = %v %v %v", *r.LatencyAvg, *r.LatencyMin, *r.LatencyMax)
	}
	// Population standard deviation of {10,20,30,40,1000}.
	if want := 390.1281840626232; math.Abs(*r.LatencyStddev-want) > 1e-9*want {
		t.Errorf("stddev = %v, want %v", *r.LatencyStddev, want)
	}
	if math.Abs(*r.LatencyP50-30) > 0.3 || *r.LatencyP99 > 1000 || *r.LatencyP99 < 40*0.99 {
		t.Errorf("p50 = %v, p99 = %v", *r.LatencyP50, *r.LatencyP99)
	}

	empty := NewPartial(defaultWindow, 0)
	empty.Add(&Event{Time: day})
	if r := rows(t, empty)[0]; r.LatencyAvg != nil || r.LatencyP50 != nil || r.LatencyStddev != nil {
		t.Errorf("window without latencies has latency stats: %+v", r)
	}
}

func randomEvents(rng *rand.Rand, n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		e := Event{Time: day + rng.Int64N(int64(3*time.Hour)) - int64(time.Hour), Level: Level(rng.IntN(3))}
		if rng.IntN(10) != 0 {
			// log-normal in ms, quantized to ns as the decoder does
			e.Latency, e.HasLatency = int64(math.Round(math.Exp(3+1.2*rng.NormFloat64())*1e6)), true
		}
		if rng.IntN(200) == 0 {
			e.Latency = 0
		}
		evs[i] = e
	}
	return evs
}

// Any split of the same events into partials, merged in any order, gives
// identical rows and identical Parquet bytes.
func TestMergeIsOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	evs := randomEvents(rng, 20000)
	whole := NewPartial(defaultWindow, 0)
	for i := range evs {
		whole.Add(&evs[i])
	}
	want := rows(t, whole)
	var wantPQ bytes.Buffer
	if err := WriteParquet(&wantPQ, Columns{}, want, nil); err != nil {
		t.Fatal(err)
	}
	for trial := range 20 {
		k := 1 + rng.IntN(9)
		parts := make([]*Partial, k)
		for i := range parts {
			parts[i] = NewPartial(defaultWindow, 0)
		}
		perm := rng.Perm(len(evs))
		for _, i := range perm {
			parts[rng.IntN(k)].Add(&evs[i])
		}
		// Merge as a random tree: pick two, merge, put back.
		for len(parts) > 1 {
			i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
			if j >= i {
				j++
			}
			if err := parts[i].Merge(parts[j]); err != nil {
				t.Fatal(err)
			}
			parts = slices.Delete(parts, j, j+1)
		}
		got := rows(t, parts[0])
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%d partials): rows differ from a single partial", trial, k)
		}
		var pq bytes.Buffer
		if err := WriteParquet(&pq, Columns{}, got, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pq.Bytes(), wantPQ.Bytes()) {
			t.Fatalf("trial %d: parquet bytes differ", trial)
		}
	}
}

// The features match a brute-force computation: exact statistics exactly,
// quantiles within the sketch's relative-error bound.
func TestRowsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	evs := randomEvents(rng, 30000)
	p := NewPartial(defaultWindow, 0)
	byWin := map[int64][]Event{}
	for i := range evs {
		p.Add(&evs[i])
		w := evs[i].Time - ((evs[i].Time%int64(defaultWindow))+int64(defaultWindow))%int64(defaultWindow)
		byWin[w] = append(byWin[w], evs[i])
	}
	rows := rows(t, p)
	if len(rows) != len(byWin) {
		t.Fatalf("%d rows, want %d", len(rows), len(byWin))
	}
	for _, r := range rows {
		CheckRow(t, r, byWin[r.WindowStart.UnixNano()])
	}
}

// CheckRow compares a row against the events of its window.
func CheckRow(t *testing.T, r Row, evs []Event) {
	t.Helper()
	var errs, warns int64
	var lats []float64
	for _, e := range evs {
		switch e.Level {
		case LevelError:
			errs++
		case LevelWarn:
			warns++
		}
		if e.HasLatency {
			lats = append(lats, float64(e.Latency)/1e6)
		}
	}
	if r.RequestCount != int64(len(evs)) || r.ErrorCount != errs || r.WarnCount != warns {
		t.Errorf("%v: counts %d/%d/%d, want %d/%d/%d", r.WindowStart, r.RequestCount, r.ErrorCount, r.WarnCount, len(evs), errs, warns)
	}
	CheckLatencies(t, r, lats)
}

// CheckLatencies compares a row's latency columns with the raw values (ms).
func CheckLatencies(t *testing.T, r Row, lats []float64) {
	t.Helper()
	if len(lats) == 0 {
		if r.LatencyAvg != nil {
			t.Errorf("%v: latency stats without latencies", r.WindowStart)
		}
		return
	}
	slices.Sort(lats)
	var sum float64
	for _, v := range lats {
		sum += v
	}
	mean := sum / float64(len(lats))
	var ss float64
	for _, v := range lats {
		ss += (v - mean) * (v - mean)
	}
	std := math.Sqrt(ss / float64(len(lats)))
	near := func(name string, got, want, rel float64) {
		if math.Abs(got-want) > rel*math.Abs(want)+1e-12 {
			t.Errorf("%v: %s = %v, want %v (rel %g)", r.WindowStart, name, got, want, rel)
		}
	}
	near("avg", *r.LatencyAvg, mean, 1e-9)
	near("std", *r.LatencyStddev, std, 1e-9)
	near("min", *r.LatencyMin, lats[0], 0)
	near("max", *r.LatencyMax, lats[len(lats)-1], 0)
	for i, q := range []float64{0.5, 0.9, 0.95, 0.99} {
		want := lats[int(q*float64(len(lats)-1))]
		got := []*float64{r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99}[i]
		near("quantile", *got, want, SketchRelativeAccuracy+1e-9)
	}
}

// otherCount sums the request counts of the fold bucket's rows.
func otherCount(t *testing.T, rows []Row) int64 {
	t.Helper()
	var n int64
	for _, r := range rows {
		if r.Group[0] == OtherGroup {
			for _, v := range r.Group {
				if v != OtherGroup {
					t.Fatalf("fold row %q: every dimension should be %s", r.Group, OtherGroup)
				}
			}
			n += r.RequestCount
		}
	}
	return n
}

// The events folded while reading are the events of the __other__ rows
// when each window is one pane of one partial with the table's cap: the
// pane keeps cap-1 groups and __other__, as the table does.
func TestFoldedMatchesOtherRow(t *testing.T) {
	p := NewPartial(defaultWindow, 3)
	for _, g := range []string{"a", "b", "c", "d"} { // one event each: the 4th meets a full pane
		p.Add(&Event{Time: day, Group: []byte(EncodeGroup([]string{g, "x"}))})
	}
	rows, err := p.Table(Window{Size: defaultWindow}, TableOptions{MaxGroups: 3, Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, r := range rows {
		groups = append(groups, r.Group[0])
	}
	// c goes: the least busy of a, b, c, ties broken by the greatest key.
	if got := strings.Join(groups, " "); got != "__other__ a b" {
		t.Errorf("groups = %s, want __other__ a b", got)
	}
	if n := otherCount(t, rows); n != 2 || p.Counts.Folded != 2 {
		t.Errorf("__other__ row has %d events, folded_events %d; want 2 and 2", n, p.Counts.Folded)
	}

	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 200 {
		maxGroups := 1 + rng.IntN(6)
		p := NewPartial(defaultWindow, maxGroups)
		for range rng.IntN(300) {
			g := EncodeGroup([]string{string(rune('a' + rng.IntN(12)))})
			p.Add(&Event{Time: day + rng.Int64N(int64(time.Hour)), Group: []byte(g)})
		}
		rows, err := p.Table(Window{Size: defaultWindow}, TableOptions{MaxGroups: maxGroups, Dims: 1, Dense: true})
		if err != nil {
			t.Fatal(err)
		}
		if n := otherCount(t, rows); n != p.Counts.Folded {
			t.Fatalf("trial %d (cap %d): __other__ rows hold %d events, folded_events is %d", trial, maxGroups, n, p.Counts.Folded)
		}
	}
}

// Where a window merges partials, it may fold more than their panes did:
// the __other__ rows then hold more than folded_events, never less.
func TestFoldedAcrossPartials(t *testing.T) {
	a, b := NewPartial(defaultWindow, 2), NewPartial(defaultWindow, 2)
	for i, g := range []string{"a", "b", "c", "d"} {
		p := a
		if i >= 2 {
			p = b
		}
		p.Add(&Event{Time: day, Group: []byte(EncodeGroup([]string{g}))})
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	rows, _ := a.Table(Window{Size: defaultWindow}, TableOptions{MaxGroups: 2, Dims: 1})
	if n := otherCount(t, rows); a.Counts.Folded != 0 || n != 3 {
		t.Errorf("folded_events %d, __other__ %d; want 0 and 3", a.Counts.Folded, n)
	}
}

// A window's name is its identity: folder names, manifests, duplicate
// checks. Every whole-second length from 1s to 24h must spell a name that
// parses back to it, so no two lengths share a name (10s and 10m were both
// "1", 1m30s was "1m3").
func TestWindowNamesParseBack(t *testing.T) {
	for d := time.Second; d <= 24*time.Hour; d += time.Second {
		name := shortDuration(d)
		got, err := time.ParseDuration(name)
		if err != nil || got != d {
			t.Fatalf("shortDuration(%v) = %q, which parses to %v, %v", d, name, got, err)
		}
	}
	for w, want := range map[Window]string{
		{Size: 5 * time.Minute, Slide: 5 * time.Minute}:   "5m",
		{Size: 10 * time.Minute}:                          "10m",
		{Size: time.Hour, Slide: 10 * time.Minute}:        "1h-every-10m",
		{Size: 90 * time.Second, Slide: 30 * time.Second}: "1m30s-every-30s",
		{Size: 24 * time.Hour}:                            "24h",
	} {
		if w.String() != want {
			t.Errorf("%+v.String() = %q, want %q", w, w.String(), want)
		}
	}
}

// Near counts the out-of-range events of the spans either side of the
// range apart, each bound where it says: [before, from) and [to, after).
func TestNearCountsTheNeighbouringSpans(t *testing.T) {
	d := time.Unix(0, day).UTC()
	from, to := d, d.Add(24*time.Hour+55*time.Minute) // a date and a sliding window's reach
	p := NewPartial(5*time.Minute, 0)
	p.Restrict(from, to)
	p.Near(d.Add(-24*time.Hour), d.Add(48*time.Hour))
	for _, at := range []struct {
		t    time.Time
		want string
	}{
		{d.Add(-24*time.Hour - 1), "far"}, {d.Add(-24 * time.Hour), "before"}, {d.Add(-1), "before"},
		{d, "in"}, {to.Add(-1), "in"}, {to, "after"}, {d.Add(48*time.Hour - 1), "after"}, {d.Add(48 * time.Hour), "far"},
	} {
		c := p.Counts
		p.Add(&Event{Time: at.t.UnixNano()})
		got := "far"
		switch {
		case p.Counts.OutOfRange == c.OutOfRange:
			got = "in"
		case p.Counts.Before > c.Before:
			got = "before"
		case p.Counts.After > c.After:
			got = "after"
		}
		if got != at.want {
			t.Errorf("event at %v counted %s, want %s", at.t, got, at.want)
		}
	}
	// Without Near nothing is counted apart.
	q := NewPartial(5*time.Minute, 0)
	q.Restrict(from, to)
	q.Add(&Event{Time: d.Add(-time.Minute).UnixNano()})
	q.Add(&Event{Time: to.UnixNano()})
	if q.Counts.OutOfRange != 2 || q.Counts.Before != 0 || q.Counts.After != 0 {
		t.Errorf("without Near: %+v", q.Counts)
	}
}
