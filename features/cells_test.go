package features

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// cellEvents makes events for groups whose cells (5-minute panes of one
// group) hold from 1 to 3*exactLatencies latencies, so that cells cross
// the exact-to-sketch threshold while partials are merged; some carry no
// latency, a latency of 0, or the same latency as another.
func cellEvents(rng *rand.Rand, groups int) []Event {
	var evs []Event
	for g := range groups {
		key := []byte(EncodeGroup([]string{"g" + strconv.Itoa(g)}))
		for pane := range 3 {
			n := 1 + rng.IntN(3*exactLatencies)
			if rng.IntN(2) == 0 {
				n = 1 + rng.IntN(4) // most cells are small
			}
			for range n {
				e := Event{Time: day + int64(pane)*int64(defaultWindow) + rng.Int64N(int64(defaultWindow)), Group: key, Level: Level(rng.IntN(3))}
				switch x := rng.IntN(20); {
				case x == 0: // no latency
				case x == 1:
					e.HasLatency = true
				case x == 2:
					e.Latency, e.HasLatency = 7e6, true
				default:
					e.Latency, e.HasLatency = int64(math.Round(math.Exp(3+1.2*rng.NormFloat64())*1e6)), true
				}
				evs = append(evs, e)
			}
		}
	}
	return evs
}

// A cell with at most exactLatencies latencies reports exact quantiles,
// the value at rank floor(q*(n-1)) of its sorted latencies (the sketch's
// rank convention), in every window spec and however its events were
// split and merged; a larger one stays within the sketch's bound.
func TestSmallCellQuantilesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	evs := cellEvents(rng, 300)
	parts := make([]*Partial, 4)
	for i := range parts {
		parts[i] = NewPartial(defaultWindow, 1<<20)
	}
	for i := range evs {
		parts[rng.IntN(len(parts))].Add(&evs[i])
	}
	for _, p := range parts[1:] {
		if err := parts[0].Merge(p); err != nil {
			t.Fatal(err)
		}
	}
	p := parts[0]
	for _, w := range []Window{{Size: defaultWindow}, {Size: 10 * time.Minute}, {Size: 15 * time.Minute, Slide: defaultWindow}} {
		byCell := map[string][]float64{}
		for _, e := range evs {
			for s := floorTo(e.Time, int64(w.slide())); s > e.Time-int64(w.Size); s -= int64(w.slide()) {
				k := strconv.FormatInt(s, 10) + "/" + DecodeGroup(string(e.Group), 1)[0]
				if e.HasLatency {
					byCell[k] = append(byCell[k], float64(e.Latency)/1e6)
				}
			}
		}
		rows, err := p.Table(w, TableOptions{Dims: 1, MaxGroups: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		var exact, sketched int
		for _, r := range rows {
			lats := byCell[strconv.FormatInt(r.WindowStart.UnixNano(), 10)+"/"+r.Group[0]]
			if len(lats) == 0 {
				continue
			}
			slices.Sort(lats)
			for i, q := range quantiles {
				got := *[]*float64{r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99}[i]
				want := lats[int(q*float64(len(lats)-1))]
				if len(lats) <= exactLatencies && got != want {
					t.Fatalf("%v %v %s: p%v of %d latencies = %v, want exactly %v", w, r.WindowStart, r.Group[0], q, len(lats), got, want)
				}
				if math.Abs(got-want) > SketchRelativeAccuracy*want+1e-12 {
					t.Fatalf("%v %v %s: p%v of %d latencies = %v, want %v within 1%%", w, r.WindowStart, r.Group[0], q, len(lats), got, want)
				}
			}
			if len(lats) <= exactLatencies {
				exact++
			} else {
				sketched++
			}
		}
		if exact == 0 || sketched == 0 {
			t.Fatalf("%v: %d exact and %d sketched cells: want both", w, exact, sketched)
		}
	}
}

// Cells that cross the exact-to-sketch threshold give the same rows and
// Parquet bytes for any split of the events into partials, any merge
// order, and a trip through the partial codec on the way.
func TestMergeIsOrderIndependentSmallCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	evs := cellEvents(rng, 200)
	windows := []Window{{Size: defaultWindow}, {Size: 15 * time.Minute, Slide: defaultWindow}}
	table := func(p *Partial) ([][]Row, []byte) {
		var all [][]Row
		var pq bytes.Buffer
		for _, w := range windows {
			rows, err := p.Table(w, TableOptions{Dims: 1, MaxGroups: 150})
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteParquet(&pq, Columns{Dims: []string{"g"}}, rows, nil); err != nil {
				t.Fatal(err)
			}
			all = append(all, rows)
		}
		return all, pq.Bytes()
	}
	whole := NewPartial(defaultWindow, 1<<20)
	for i := range evs {
		whole.Add(&evs[i])
	}
	want, wantPQ := table(whole)
	for trial := range 12 {
		k := 1 + rng.IntN(9)
		parts := make([]*Partial, k)
		for i := range parts {
			parts[i] = NewPartial(defaultWindow, 1<<20)
		}
		for _, i := range rng.Perm(len(evs)) {
			parts[rng.IntN(k)].Add(&evs[i])
		}
		for i, p := range parts {
			if rng.IntN(2) == 0 {
				b, err := p.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if parts[i], err = UnmarshalPartial(b); err != nil {
					t.Fatal(err)
				}
			}
		}
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
		got, gotPQ := table(parts[0])
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d (%d partials): rows differ from a single partial", trial, k)
		}
		if !bytes.Equal(gotPQ, wantPQ) {
			t.Fatalf("trial %d: parquet bytes differ", trial)
		}
	}
}

// The fast path of moments for one or two latencies gives the bits of
// the exact big-number path, for latencies from 0 to near 2^63.
func TestMomentsSmallCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 20000 {
		a := newAcc()
		for range 1 + i%2 {
			var lat int64
			switch i % 5 {
			case 0:
				lat = rng.Int64N(10)
			case 1:
				lat = rng.Int64N(1 << 62)
			case 2:
				lat = rng.Int64N(1 << 54)
			default:
				lat = rng.Int64N(int64(time.Minute))
			}
			a.add(&Event{HasLatency: true, Latency: lat})
		}
		var fast, slow moments
		avg1, std1 := fast.moments(a)
		l := a.sums()
		avg2, std2 := slow.exactMoments(a.latCount, &l)
		if avg1 != avg2 || std1 != std2 {
			t.Fatalf("latencies %v: fast %v %v, exact %v %v", a.latencies(nil), avg1, std1, avg2, std2)
		}
	}
}

// heapPerCell is the heap a partial keeps per cell when every cell holds
// one event with a latency: 5-minute panes of cells groups each.
func heapPerCell(cells int) float64 {
	keys := make([][]byte, cells)
	for i := range keys {
		keys[i] = []byte(EncodeGroup([]string{"k" + strconv.Itoa(i)}))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p := NewPartial(defaultWindow, 1<<20)
	for i, k := range keys {
		p.Add(&Event{Time: day, Group: k, HasLatency: true, Latency: int64(i) * 1e5})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(cells)
}

// A cell of one event costs its counters and its map entry, not a sketch
// (a DDSketch alone is ~600 bytes) nor the sums and room for latencies
// that only cells of three or more need: at most 140 bytes of heap (178
// when every cell carried them).
func TestCellMemory(t *testing.T) {
	got := heapPerCell(50000)
	t.Logf("%.0f bytes of heap per one-event cell", got)
	if got > 140 {
		t.Errorf("%.0f bytes of heap per one-event cell, want at most 140", got)
	}
}

// Building the rows of small cells allocates nothing per row: no copy of
// a cell for a window of one pane, no sketch, the floats and the groups'
// values in blocks, the cells sorted in a reused slice.
func TestRowAllocations(t *testing.T) {
	p := NewPartial(defaultWindow, 1<<20)
	for i := range 5000 {
		k := []byte(EncodeGroup([]string{"k" + strconv.Itoa(i)}))
		for j := range 1 + i%2 {
			p.Add(&Event{Time: day + int64(j), Group: k, HasLatency: true, Latency: int64(i+j) * 1e5})
		}
	}
	var n int
	allocs := testing.AllocsPerRun(3, func() {
		err := p.Rows(Window{Size: defaultWindow}, TableOptions{Dims: 1, MaxGroups: 1 << 20}, func(rows []Row) error {
			n = len(rows)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if per := allocs / float64(n); per > 0.05 {
		t.Errorf("%.2f allocations per row, want at most 0.05", per)
	}
}

// refMoments is exactMoments as it was before its fast paths: every
// division and square root through 128- and 256-bit big floats.
func refMoments(n int64, l *latState) (avg, std float64) {
	var m moments
	m.n.SetInt64(n)
	m.sum.SetUint64(l.sumHi).Lsh(&m.sum, 64).Or(&m.sum, m.t.SetUint64(l.sumLo))
	m.sq.SetUint64(l.sq[2]).Lsh(&m.sq, 128)
	m.sq.Or(&m.sq, m.t.SetUint64(l.sq[1]).Lsh(&m.t, 64))
	m.sq.Or(&m.sq, m.t.SetUint64(l.sq[0]))
	m.t.Mul(&m.n, m.e6.SetInt64(1e6))
	avg, _ = m.q.SetPrec(128).Quo(m.fs.SetPrec(0).SetInt(&m.sum), m.fd.SetPrec(0).SetInt(&m.t)).Float64()
	m.num.Mul(&m.n, &m.sq)
	m.num.Sub(&m.num, m.t.Mul(&m.sum, &m.sum))
	m.den.Mul(&m.n, &m.n)
	m.v.SetPrec(256).Quo(m.fs.SetPrec(0).SetInt(&m.num), m.fd.SetPrec(0).SetInt(&m.den))
	std, _ = m.sd.SetPrec(256).Sqrt(&m.v).Float64()
	return avg, std
}

// The fast paths of exactMoments (a float64 mean when its operands are
// exact, a float64 square root proven correctly rounded by integer
// comparisons) give the bits of the big-number path: cells of 3 to 200
// latencies of every magnitude, equal latencies (deviation 0), deviations
// that are exact squares or land on rounding midpoints, and cells merged
// from many.
func TestMomentsMatchBigNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	reused := &moments{} // carried from cell to cell, as rows do
	fast := 0
	check := func(a *acc) {
		t.Helper()
		l := a.sums()
		avg1, std1 := reused.exactMoments(a.latCount, &l)
		avg2, std2 := refMoments(a.latCount, &l)
		if math.Float64bits(avg1) != math.Float64bits(avg2) || math.Float64bits(std1) != math.Float64bits(std2) {
			t.Fatalf("%d latencies (sums %+v): %v %v, big numbers %v %v", a.latCount, l, avg1, std1, avg2, std2)
		}
		if _, ok := reused.sqrtQuo(); ok {
			fast++
		}
	}
	mags := []int64{4, 1000, int64(time.Millisecond), int64(time.Second), int64(time.Hour), 1 << 40, 1 << 53, 1 << 61}
	for i := range 60000 {
		a := newAcc()
		n := 3 + rng.IntN(30)
		if i%10 == 0 {
			n = 3 + rng.IntN(200)
		}
		mag := mags[rng.IntN(len(mags))]
		base := rng.Int64N(mag)
		switch i % 6 {
		case 0: // all equal: deviation 0
			for range n {
				a.add(&Event{HasLatency: true, Latency: base})
			}
		case 1: // two values: deviation half their distance, often exact
			d := 1 + rng.Int64N(max(mag/4, 1))
			for j := range n {
				a.add(&Event{HasLatency: true, Latency: base + d*int64(j%2)})
			}
		case 2: // small integers: deviations that are square roots of small rationals
			for range n {
				a.add(&Event{HasLatency: true, Latency: rng.Int64N(8)})
			}
		default:
			for range n {
				a.add(&Event{HasLatency: true, Latency: base + rng.Int64N(max(mag, 1))})
			}
		}
		check(a)
		if i%50 == 0 { // a cell merged from several
			b := newAcc()
			for range 3 + rng.IntN(40) {
				b.add(&Event{HasLatency: true, Latency: rng.Int64N(mag)})
			}
			a.merge(b)
			check(a)
		}
	}
	if fast < 30000 {
		t.Errorf("the float64 square root was proven for %d cells of ~61,000: the fast path is not taken", fast)
	}
}
