package features

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
)

// SketchRelativeAccuracy is the relative-error bound of every latency
// quantile: a reported p-quantile q satisfies |q - x| <= 0.01 * x, where x is
// the true value at that rank.
const SketchRelativeAccuracy = 0.01

// acc accumulates one window. Every field is exact and order-independent.
type acc struct {
	count, errors, warns int64
	latCount             int64
	sumLo, sumHi         uint64    // sum of latency ns, 128 bits
	sq                   [3]uint64 // sum of squared latency ns, 192 bits, little-endian words
	min, max             int64
	sketch               *ddsketch.DDSketch
}

func newAcc() *acc {
	s, err := ddsketch.LogUnboundedDenseDDSketch(SketchRelativeAccuracy)
	if err != nil {
		panic(fmt.Sprintf("ddsketch: %v", err)) // constant, valid accuracy
	}
	return &acc{min: math.MaxInt64, max: math.MinInt64, sketch: s}
}

func (a *acc) add(e *Event) {
	a.count++
	switch e.Level {
	case LevelError:
		a.errors++
	case LevelWarn:
		a.warns++
	}
	if !e.HasLatency {
		return
	}
	v := uint64(e.Latency)
	a.latCount++
	var c uint64
	a.sumLo, c = bits.Add64(a.sumLo, v, 0)
	a.sumHi += c
	hi, lo := bits.Mul64(v, v)
	a.sq[0], c = bits.Add64(a.sq[0], lo, 0)
	a.sq[1], c = bits.Add64(a.sq[1], hi, c)
	a.sq[2] += c
	if e.Latency < a.min {
		a.min = e.Latency
	}
	if e.Latency > a.max {
		a.max = e.Latency
	}
	// Latencies are non-negative and finite, so Add cannot fail.
	_ = a.sketch.Add(float64(e.Latency))
}

func (a *acc) merge(b *acc) {
	a.count += b.count
	a.errors += b.errors
	a.warns += b.warns
	a.latCount += b.latCount
	var c uint64
	a.sumLo, c = bits.Add64(a.sumLo, b.sumLo, 0)
	a.sumHi += b.sumHi + c
	a.sq[0], c = bits.Add64(a.sq[0], b.sq[0], 0)
	a.sq[1], c = bits.Add64(a.sq[1], b.sq[1], c)
	a.sq[2] += b.sq[2] + c
	a.min = min(a.min, b.min)
	a.max = max(a.max, b.max)
	// Both sketches share one mapping, so MergeWith cannot fail.
	_ = a.sketch.MergeWith(b.sketch)
}

// Counts are the line counts of a partial: what was read and what was skipped.
type Counts struct {
	Lines      int64             // non-blank lines read
	Blank      int64             // empty or whitespace-only lines, ignored
	Events     int64             // lines decoded into events, out-of-range ones included
	OutOfRange int64             // events outside the partial's time range, not aggregated
	Bad        [numReasons]int64 // skipped lines by reason; index 0 is unused
}

// BadTotal returns the number of skipped lines.
func (c *Counts) BadTotal() int64 {
	var n int64
	for _, v := range c.Bad[1:] {
		n += v
	}
	return n
}

// BadByReason returns the skipped lines by reason name, omitting zeros.
func (c *Counts) BadByReason() map[string]int64 {
	m := map[string]int64{}
	for _, r := range Reasons() {
		if c.Bad[r] > 0 {
			m[r.String()] = c.Bad[r]
		}
	}
	return m
}

func (c *Counts) merge(o *Counts) {
	c.Lines += o.Lines
	c.Blank += o.Blank
	c.Events += o.Events
	c.OutOfRange += o.OutOfRange
	for i := range c.Bad {
		c.Bad[i] += o.Bad[i]
	}
}

// Partial is the aggregate of some of a run's lines: windows keyed by start.
// One task owns a Partial; partials are combined with Merge. Its memory grows
// with the number of windows, not the number of lines.
type Partial struct {
	size    int64 // window length, ns
	lo, hi  int64 // events outside [lo, hi) are counted, not aggregated
	windows map[int64]*acc
	lastKey int64
	last    *acc
	Counts  Counts
}

// NewPartial returns an empty partial for tumbling windows of the given size,
// aligned to the Unix epoch in UTC.
func NewPartial(window time.Duration) *Partial {
	if window <= 0 {
		panic("features: window must be positive")
	}
	return &Partial{size: int64(window), lo: math.MinInt64, hi: math.MaxInt64, windows: map[int64]*acc{}}
}

// Restrict makes p aggregate only events in [from, to) and count the others
// in Counts.OutOfRange. Call it before adding events.
func (p *Partial) Restrict(from, to time.Time) {
	p.lo, p.hi = from.UnixNano(), to.UnixNano()
}

// Window returns the window length of p.
func (p *Partial) Window() time.Duration { return time.Duration(p.size) }

// windowStart returns the start of the window holding t, flooring toward
// negative infinity so pre-1970 events land correctly too.
func (p *Partial) windowStart(t int64) int64 {
	r := t % p.size
	if r < 0 {
		r += p.size
	}
	return t - r
}

// Add adds a decoded event.
func (p *Partial) Add(e *Event) {
	if e.Time < p.lo || e.Time >= p.hi {
		p.Counts.OutOfRange++
		return
	}
	k := p.windowStart(e.Time)
	a := p.last
	if a == nil || k != p.lastKey {
		a = p.windows[k]
		if a == nil {
			a = newAcc()
			p.windows[k] = a
		}
		p.last, p.lastKey = a, k
	}
	a.add(e)
}

// Merge adds everything in o to p. o must have the same window length and
// must not be used afterwards.
func (p *Partial) Merge(o *Partial) error {
	if o.size != p.size || o.lo != p.lo || o.hi != p.hi {
		return fmt.Errorf("merge partials: window or range differ (%v, %v)", time.Duration(p.size), time.Duration(o.size))
	}
	for k, b := range o.windows {
		if a := p.windows[k]; a != nil {
			a.merge(b)
		} else {
			p.windows[k] = b
		}
	}
	p.Counts.merge(&o.Counts)
	o.windows, o.last = nil, nil
	return nil
}

// Len returns the number of windows with at least one event.
func (p *Partial) Len() int { return len(p.windows) }

// Rows returns one row per window with events, sorted by window start.
func (p *Partial) Rows() []Row {
	keys := make([]int64, 0, len(p.windows))
	for k := range p.windows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]Row, len(keys))
	for i, k := range keys {
		rows[i] = p.windows[k].row(k, p.size)
	}
	return rows
}

var quantiles = []float64{0.5, 0.9, 0.95, 0.99}

func (a *acc) row(start, size int64) Row {
	r := Row{
		WindowStart:  time.Unix(0, start).UTC(),
		WindowEnd:    time.Unix(0, start+size).UTC(),
		RequestCount: a.count,
		ErrorCount:   a.errors,
		WarnCount:    a.warns,
		ErrorRate:    float64(a.errors) / float64(a.count),
	}
	if a.latCount == 0 {
		return r
	}
	n := new(big.Int).SetInt64(a.latCount)
	sum := new(big.Int).Lsh(new(big.Int).SetUint64(a.sumHi), 64)
	sum.Or(sum, new(big.Int).SetUint64(a.sumLo))
	sq := new(big.Int).Lsh(new(big.Int).SetUint64(a.sq[2]), 128)
	sq.Or(sq, new(big.Int).Lsh(new(big.Int).SetUint64(a.sq[1]), 64))
	sq.Or(sq, new(big.Int).SetUint64(a.sq[0]))

	avg, _ := new(big.Float).SetPrec(128).Quo(
		new(big.Float).SetInt(sum),
		new(big.Float).SetInt(new(big.Int).Mul(n, big.NewInt(1e6)))).Float64()
	// Population variance n*Σx² - (Σx)², divided by n², exact until the division.
	num := new(big.Int).Sub(new(big.Int).Mul(n, sq), new(big.Int).Mul(sum, sum))
	den := new(big.Int).Mul(n, n)
	v := new(big.Float).SetPrec(256).Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(den))
	std, _ := new(big.Float).SetPrec(256).Sqrt(v).Float64()

	r.AvgLatency = ptr(avg)
	r.MinLatency = ptr(float64(a.min) / 1e6)
	r.MaxLatency = ptr(float64(a.max) / 1e6)
	r.StddevLatency = ptr(std / 1e6)
	qs, err := a.sketch.GetValuesAtQuantiles(quantiles)
	if err != nil {
		panic(fmt.Sprintf("ddsketch quantiles of non-empty sketch: %v", err))
	}
	for i := range qs {
		qs[i] = min(max(qs[i], float64(a.min)), float64(a.max)) / 1e6
	}
	r.P50Latency, r.P90Latency, r.P95Latency, r.P99Latency = ptr(qs[0]), ptr(qs[1]), ptr(qs[2]), ptr(qs[3])
	return r
}

func ptr(f float64) *float64 { return &f }
