package features

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// rangesPartial holds n events over two days from 2025-11-08 in up to 30
// groups.
func rangesPartial(n int, seed uint64) *Partial {
	p := NewPartial(5*time.Minute, 0)
	r := rand.New(rand.NewPCG(seed, 2))
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for range n {
		e := Event{Time: day.Add(time.Duration(r.Int64N(int64(48 * time.Hour)))).UnixNano(), Latency: int64(r.IntN(1000)), HasLatency: true,
			Group: []byte(EncodeGroup([]string{string(rune('a' + r.IntN(30)))}))}
		p.Add(&e)
	}
	return p
}

// A partial split by Take into ranges and put back together by Merge
// gives the same rows; Slice leaves its source whole; EventsIn from the
// panes' events is Events.
func TestTakeSliceEventsIn(t *testing.T) {
	w := Window{Size: 15 * time.Minute, Slide: 5 * time.Minute}
	o := TableOptions{Dense: true, Dims: 1}
	want, err := rangesPartial(3000, 1).Table(w, o)
	if err != nil {
		t.Fatal(err)
	}
	p := rangesPartial(3000, 1)
	events := map[int64]int64{}
	p.PaneEvents(func(k, n int64) { events[k] += n })
	day := time.Date(2025, 11, 9, 0, 0, 0, 0, time.UTC)
	if a, b := p.Events(w, day, day.AddDate(0, 0, 1)), EventsIn(events, w, day, day.AddDate(0, 0, 1)); a != b || a == 0 {
		t.Errorf("EventsIn = %d, Events = %d", b, a)
	}
	before := p.Panes()
	if s := p.Slice(day.UnixNano(), day.Add(time.Hour).UnixNano()); s.Panes() != 12 || p.Panes() != before {
		t.Errorf("Slice holds %d panes (want 12) and left %d of %d", s.Panes(), p.Panes(), before)
	}
	whole := p.emptyLike()
	whole.Counts = p.Counts
	hour := int64(time.Hour)
	for k := day.AddDate(0, 0, -1).UnixNano(); k < day.AddDate(0, 0, 1).UnixNano(); k += 3 * hour {
		if err := whole.Merge(p.Take(k, k+3*hour)); err != nil {
			t.Fatal(err)
		}
	}
	if p.Panes() != 0 {
		t.Errorf("Take left %d panes", p.Panes())
	}
	got, err := whole.Table(w, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("taken and merged back: %d rows, want %d", len(got), len(want))
	}
}

// A dense table of one range, its partial given a run's groups by
// WithGroups, emits a row per window for every one of them.
func TestWithGroups(t *testing.T) {
	p := rangesPartial(500, 3)
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	part := p.Slice(day.UnixNano(), day.Add(time.Hour).UnixNano())
	groups := map[string]bool{}
	p.Groups(func(g string) { groups[g] = true })
	groups[EncodeGroup([]string{"zz-only-elsewhere"})] = true
	rows, err := part.WithGroups(groups).Table(Window{Size: 5 * time.Minute, Slide: 5 * time.Minute},
		TableOptions{Dense: true, Dims: 1, From: day, To: day.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12*len(groups) {
		t.Errorf("%d rows, want 12 windows × %d groups", len(rows), len(groups))
	}
}
