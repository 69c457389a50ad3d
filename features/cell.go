package features

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
	"github.com/axiomhq/hyperloglog"
)

// SketchRelativeAccuracy is the relative-error bound of every latency
// quantile: a reported p-quantile q satisfies |q - x| <= 0.01 * x, where x is
// the true value at rank floor(p*(n-1)).
const SketchRelativeAccuracy = 0.01

// DistinctRelativeError is the standard error of distinct counts: the
// HyperLogLog has 2^14 registers, so about 1.04/sqrt(16384) = 0.81%; counts
// below about 12,000 are nearly exact (sparse representation).
const DistinctRelativeError = 0.0081

var sketchMapping = func() mapping.IndexMapping {
	m, err := mapping.NewCubicallyInterpolatedMapping(SketchRelativeAccuracy)
	if err != nil {
		panic(fmt.Sprintf("ddsketch mapping: %v", err)) // constant, valid accuracy
	}
	return m
}()

// exactLatencies is how many latencies a cell (one pane or window of one
// group) keeps as they are: a cell with at most this many has exact
// quantiles; with more, its latencies are a DDSketch. Most cells of a
// table with many groups hold a few events, and a sketch costs ~50 times
// the memory of one latency.
const exactLatencies = 32

// acc accumulates one pane (or window) of one group. Every field is exact
// or a sketch whose merge does not depend on order.
//
// Its latencies are held as a function of their multiset alone, so that
// merges in any order give the same state: with one or two latencies they
// are min and max, and lat is nil (most cells of a table with many groups
// hold one or two events: they cost no more than their counters); with 3
// to exactLatencies, lat.raw holds them (in no particular order); with
// more, lat.sketch holds them and lat.raw is nil.
type acc struct {
	count, errors, warns int64
	latCount             int64
	min, max             int64
	status               [4]int64 // 2xx, 3xx, 4xx, 5xx
	bytes                int64
	hll                  *hyperloglog.Sketch
	lat                  *latState // non-nil exactly when latCount > 2
}

// latState holds the latencies of a cell with more than two: their exact
// sums, and the latencies themselves or their sketch.
type latState struct {
	sumLo, sumHi uint64    // sum of latency ns, 128 bits
	sq           [3]uint64 // sum of squared latency ns, 192 bits, little-endian words
	raw          []int64
	sketch       *ddsketch.DDSketch
}

// addSum adds latency v to l's sums.
func (l *latState) addSum(v int64) {
	u := uint64(v)
	var c uint64
	l.sumLo, c = bits.Add64(l.sumLo, u, 0)
	l.sumHi += c
	hi, lo := bits.Mul64(u, u)
	l.sq[0], c = bits.Add64(l.sq[0], lo, 0)
	l.sq[1], c = bits.Add64(l.sq[1], hi, c)
	l.sq[2] += c
}

// addSums adds o's sums to l's.
func (l *latState) addSums(o *latState) {
	var c uint64
	l.sumLo, c = bits.Add64(l.sumLo, o.sumLo, 0)
	l.sumHi += o.sumHi + c
	l.sq[0], c = bits.Add64(l.sq[0], o.sq[0], 0)
	l.sq[1], c = bits.Add64(l.sq[1], o.sq[1], c)
	l.sq[2] += o.sq[2] + c
}

// sums returns a's latency sums: lat's, or those of its one or two
// latencies (min and max), as adding them one by one would give.
func (a *acc) sums() latState {
	if a.lat != nil {
		return latState{sumLo: a.lat.sumLo, sumHi: a.lat.sumHi, sq: a.lat.sq}
	}
	var l latState
	switch a.latCount {
	case 1:
		l.addSum(a.min)
	case 2:
		l.addSum(a.min)
		l.addSum(a.max)
	}
	return l
}

// sketchOf returns a's sketch, nil when it holds its latencies exactly.
func (a *acc) sketchOf() *ddsketch.DDSketch {
	if a.lat == nil {
		return nil
	}
	return a.lat.sketch
}

// rawOf returns a's latencies when lat holds them as they are.
func (a *acc) rawOf() []int64 {
	if a.lat == nil {
		return nil
	}
	return a.lat.raw
}

func newAcc() *acc {
	return &acc{min: math.MaxInt64, max: math.MinInt64}
}

func newSketch() *ddsketch.DDSketch {
	return ddsketch.NewDDSketchFromStoreProvider(sketchMapping, store.BufferedPaginatedStoreConstructor)
}

// latencies appends a's latencies to dst when a holds them exactly (no
// sketch).
func (a *acc) latencies(dst []int64) []int64 {
	switch a.latCount {
	case 0:
		return dst
	case 1:
		return append(dst, a.min)
	case 2:
		return append(dst, a.min, a.max)
	}
	return append(dst, a.lat.raw...)
}

// addTo adds a's exact latencies to s.
func (a *acc) addTo(s *ddsketch.DDSketch) {
	// Latencies are non-negative and finite, so Add cannot fail.
	switch a.latCount {
	case 0:
	case 1:
		_ = s.Add(float64(a.min))
	case 2:
		_ = s.Add(float64(a.min))
		_ = s.Add(float64(a.max))
	default:
		for _, v := range a.lat.raw {
			_ = s.Add(float64(v))
		}
	}
}

func (a *acc) add(e *Event) {
	a.count++
	switch e.Level {
	case LevelError:
		a.errors++
	case LevelWarn:
		a.warns++
	}
	if c := e.Status / 100; c >= 2 && c <= 5 {
		a.status[c-2]++
	}
	if e.HasBytes {
		a.bytes += e.Bytes
	}
	if e.HasDistinct {
		if a.hll == nil {
			a.hll = hyperloglog.New14()
		}
		a.hll.InsertHash(e.Distinct)
	}
	if !e.HasLatency {
		return
	}
	// The latency joins the others before min and max change: with two or
	// fewer, they are the latencies.
	switch n := a.latCount; {
	case n < 2:
	case n == 2:
		l := a.sums()
		l.raw = append(make([]int64, 0, 4), a.min, a.max, e.Latency)
		l.addSum(e.Latency)
		a.lat = &l
	case a.lat.sketch != nil:
		_ = a.lat.sketch.Add(float64(e.Latency))
		a.lat.addSum(e.Latency)
	case n == exactLatencies:
		s := newSketch()
		a.addTo(s)
		_ = s.Add(float64(e.Latency))
		a.lat.sketch, a.lat.raw = s, nil
		a.lat.addSum(e.Latency)
	default:
		a.lat.raw = append(a.lat.raw, e.Latency)
		a.lat.addSum(e.Latency)
	}
	a.latCount++
	a.min = min(a.min, e.Latency)
	a.max = max(a.max, e.Latency)
}

// mergeLatencies adds b's latencies and their sums to a's, before a's
// count, min and max change; b is left unchanged.
func (a *acc) mergeLatencies(b *acc) {
	n := a.latCount + b.latCount
	if b.latCount == 0 || n <= 2 {
		return // none to add, or min and max are all there is
	}
	bs := b.sums()
	if a.lat == nil {
		l := a.sums()
		a.lat = &l
	}
	l := a.lat
	switch {
	case b.sketchOf() != nil && l.sketch != nil:
		_ = l.sketch.MergeWith(b.lat.sketch) // one mapping: cannot fail
	case b.sketchOf() != nil:
		s := b.lat.sketch.Copy()
		a.addTo(s)
		l.sketch, l.raw = s, nil
	case l.sketch != nil:
		b.addTo(l.sketch)
	case n > exactLatencies:
		s := newSketch()
		a.addTo(s)
		b.addTo(s)
		l.sketch, l.raw = s, nil
	case a.latCount > 2:
		l.raw = b.latencies(l.raw)
	default:
		l.raw = b.latencies(a.latencies(make([]int64, 0, n)))
	}
	l.addSums(&bs)
}

// merge adds b into a; b is left unchanged.
func (a *acc) merge(b *acc) {
	a.mergeLatencies(b)
	a.count += b.count
	a.errors += b.errors
	a.warns += b.warns
	a.latCount += b.latCount
	a.min = min(a.min, b.min)
	a.max = max(a.max, b.max)
	for i := range a.status {
		a.status[i] += b.status[i]
	}
	a.bytes += b.bytes
	if b.hll != nil {
		if a.hll == nil {
			a.hll = b.hll.Clone()
		} else {
			_ = a.hll.Merge(b.hll) // one precision: cannot fail
		}
	}
}

var quantiles = []float64{0.5, 0.9, 0.95, 0.99}

// rowBuilder builds rows: it reuses its big numbers for the exact moments
// from row to row and allocates the rows' float values and dimension
// values in blocks, not one by one.
type rowBuilder struct {
	m      moments
	floats []float64
	strs   []string // dimension values
}

// f returns a pointer to a new float holding v.
func (b *rowBuilder) f(v float64) *float64 {
	if len(b.floats) == cap(b.floats) {
		b.floats = make([]float64, 0, 1024)
	}
	b.floats = append(b.floats, v)
	return &b.floats[len(b.floats)-1]
}

// group returns the dimension values of the encoded group key, as
// DecodeGroup does, in a slice of a block shared with other rows.
func (b *rowBuilder) group(key string, dims int) []string {
	if cap(b.strs)-len(b.strs) < dims {
		b.strs = make([]string, 0, max(1024, dims))
	}
	n := len(b.strs)
	for key != "" && len(b.strs)-n < dims {
		var v string
		v, key = nextGroupValue(key)
		b.strs = append(b.strs, v)
	}
	for len(b.strs)-n < dims {
		b.strs = append(b.strs, "")
	}
	return b.strs[n:len(b.strs):len(b.strs)]
}

// row returns a's row of the window [start, end). It does not change what
// a holds. Fields of equal value may share one float.
func (a *acc) row(start, end time.Time, b *rowBuilder) Row {
	r := Row{
		WindowStart:  start,
		WindowEnd:    end,
		RequestCount: a.count,
		ErrorCount:   a.errors,
		WarnCount:    a.warns,
		Status2xx:    a.status[0],
		Status3xx:    a.status[1],
		Status4xx:    a.status[2],
		Status5xx:    a.status[3],
		BytesSum:     a.bytes,
	}
	if a.count > 0 {
		r.ErrorRate = b.f(float64(a.errors) / float64(a.count))
	}
	if a.hll != nil {
		r.DistinctCount = int64(a.hll.Estimate()) // compacts its sparse form: the same sketch
	}
	if a.latCount == 0 {
		return r
	}
	avg, std := b.m.moments(a)
	r.LatencyAvg = b.f(avg)
	r.LatencyMin = b.f(float64(a.min) / 1e6)
	r.LatencyMax = b.f(float64(a.max) / 1e6)
	r.LatencyStddev = b.f(std / 1e6)
	if a.latCount <= 2 {
		// Every quantile's rank in one or two values is the first:
		// exactRank(q, 2) is 0 for each q < 1.
		r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99 = r.LatencyMin, r.LatencyMin, r.LatencyMin, r.LatencyMin
		return r
	}
	var qs [4]float64
	if sk := a.sketchOf(); sk == nil {
		var buf [exactLatencies]int64
		lats := a.latencies(buf[:0])
		slices.Sort(lats)
		for i, q := range quantiles {
			qs[i] = float64(lats[exactRank(q, len(lats))]) / 1e6
		}
	} else {
		for i, q := range quantiles {
			v, err := sk.GetValueAtQuantile(q)
			if err != nil {
				panic(fmt.Sprintf("ddsketch quantiles of non-empty sketch: %v", err))
			}
			qs[i] = min(max(v, float64(a.min)), float64(a.max)) / 1e6
		}
	}
	r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99 = b.f(qs[0]), b.f(qs[1]), b.f(qs[2]), b.f(qs[3])
	return r
}

// exactRank is the index, in n sorted values, of the q-quantile: the
// DDSketch's rank convention, floor(q*(n-1)), computed as the sketch does.
func exactRank(q float64, n int) int {
	return int(float64(q * float64(n-1)))
}

// moments computes a window's latency mean and population standard
// deviation from its exact sums, reusing its big numbers from row to row.
type moments struct {
	n, sum, sq, t, num, den, e6 big.Int
	fs, fd, q, v, sd            big.Float
	lhs, rhs                    big.Int // sqrtQuo's comparisons
}

// moments returns a's mean latency in milliseconds and the population
// standard deviation in nanoseconds, each exact until its one division and
// square root, and the same bits whatever row came before.
func (m *moments) moments(a *acc) (avg, std float64) {
	// Small operands: one float64 division is correctly rounded, as is
	// the 128-bit quotient rounded to 64 bits, so both give the same bits;
	// one latency deviates by 0, two by half their distance, exactly.
	const exact = 1 << 53
	l := a.sums()
	if l.sumHi == 0 && l.sumLo < exact && a.latCount <= 2 && a.max-a.min < exact {
		return float64(l.sumLo) / float64(a.latCount*1e6), float64(a.max-a.min) / 2
	}
	return m.exactMoments(a.latCount, &l)
}

// exactMoments is moments through big numbers, for any sums of n
// latencies.
func (m *moments) exactMoments(n int64, l *latState) (avg, std float64) {
	m.n.SetInt64(n)
	m.sum.SetUint64(l.sumHi).Lsh(&m.sum, 64).Or(&m.sum, m.t.SetUint64(l.sumLo))
	m.sq.SetUint64(l.sq[2]).Lsh(&m.sq, 128)
	m.sq.Or(&m.sq, m.t.SetUint64(l.sq[1]).Lsh(&m.t, 64))
	m.sq.Or(&m.sq, m.t.SetUint64(l.sq[0]))

	m.t.Mul(&m.n, m.e6.SetInt64(1e6))
	const exact = 1 << 53
	if l.sumHi == 0 && l.sumLo < exact && m.t.IsInt64() && m.t.Int64() < exact {
		// Both operands exact in float64: one correctly rounded division,
		// the bits the 128-bit quotient rounds to (see moments).
		avg = float64(l.sumLo) / float64(m.t.Int64())
	} else {
		avg, _ = m.q.SetPrec(128).Quo(m.fs.SetPrec(0).SetInt(&m.sum), m.fd.SetPrec(0).SetInt(&m.t)).Float64()
	}
	// Population variance n*Σx² - (Σx)², divided by n², exact until the division.
	m.num.Mul(&m.n, &m.sq)
	m.num.Sub(&m.num, m.t.Mul(&m.sum, &m.sum))
	m.den.Mul(&m.n, &m.n)
	if std, ok := m.sqrtQuo(); ok {
		return avg, std
	}
	m.v.SetPrec(256).Quo(m.fs.SetPrec(0).SetInt(&m.num), m.fd.SetPrec(0).SetInt(&m.den))
	std, _ = m.sd.SetPrec(256).Sqrt(&m.v).Float64()
	return avg, std
}

// sqrtQuo returns sqrt(num/den) rounded to the nearest float64 when a
// float64 guess can be shown to be that by exact integer comparisons: it
// is if the square of the midpoint below it is less than num/den and the
// square of the one above more. The 256-bit path gives the same bits (its
// two roundings are ~2^-255 relative, while a square root of num/den not
// on a midpoint is at least ~2^-235 from one); ok is false when no guess
// passes or num/den is a midpoint's square, for that path to decide.
func (m *moments) sqrtQuo() (float64, bool) {
	if m.num.Sign() == 0 {
		return 0, true
	}
	nf, _ := m.fs.SetPrec(64).SetInt(&m.num).Float64()
	df, _ := m.fd.SetPrec(64).SetInt(&m.den).Float64()
	g := math.Sqrt(nf / df)
	if g == 0 || math.IsInf(g, 0) || math.IsNaN(g) {
		return 0, false
	}
	for _, c := range [3]float64{g, math.Nextafter(g, 0), math.Nextafter(g, math.Inf(1))} {
		if c > 0 && m.rounds(c) {
			return c, true
		}
	}
	return 0, false
}

// rounds tells whether c is sqrt(num/den) rounded to nearest: with q the
// quarter of c's unit in the last place, the midpoints to c's neighbours
// are whole multiples lo·q and hi·q, and lo²q²·den < num < hi²q²·den.
func (m *moments) rounds(c float64) bool {
	frac, exp := math.Frexp(c) // c = frac · 2^exp, frac in [0.5, 1)
	k := exp - 55              // q = 2^k: c/q = frac·2^55, a whole number
	cq := uint64(math.Ldexp(frac, 55))
	below := math.Nextafter(c, 0)
	above := math.Nextafter(c, math.Inf(1))
	if below <= 0 || math.IsInf(above, 0) {
		return false
	}
	bq := uint64(math.Ldexp(below, -k))
	aq := uint64(math.Ldexp(above, -k))
	if (bq+cq)%2 != 0 || (cq+aq)%2 != 0 {
		return false // cannot happen for neighbours at this scale; be safe
	}
	lo, hi := (bq+cq)/2, (cq+aq)/2
	// x·q² compared with num/den: x²·den·2^(2k) against num.
	cmp := func(x uint64) int {
		m.lhs.SetUint64(x)
		m.lhs.Mul(&m.lhs, &m.lhs)
		m.lhs.Mul(&m.lhs, &m.den)
		m.rhs.Set(&m.num)
		if e := 2 * k; e >= 0 {
			m.lhs.Lsh(&m.lhs, uint(e))
		} else {
			m.rhs.Lsh(&m.rhs, uint(-e))
		}
		return m.lhs.Cmp(&m.rhs)
	}
	return cmp(lo) < 0 && cmp(hi) > 0
}
