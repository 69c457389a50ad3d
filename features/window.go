package features

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"strings"
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

// OtherGroup is the dimension value of the row that absorbs groups beyond
// the cardinality cap, in every dimension. It is reserved: a line with a
// dimension equal to it is bad_dimension.
const OtherGroup = "__other__"

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
// are min and max; with 3 to exactLatencies, raw holds them (in no
// particular order); with more, sketch holds them and raw is nil.
type acc struct {
	count, errors, warns int64
	latCount             int64
	sumLo, sumHi         uint64    // sum of latency ns, 128 bits
	sq                   [3]uint64 // sum of squared latency ns, 192 bits, little-endian words
	min, max             int64
	status               [4]int64 // 2xx, 3xx, 4xx, 5xx
	bytes                int64
	raw                  []int64
	sketch               *ddsketch.DDSketch
	hll                  *hyperloglog.Sketch
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
	return append(dst, a.raw...)
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
		for _, v := range a.raw {
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
	case a.sketch != nil:
		_ = a.sketch.Add(float64(e.Latency))
	case n == exactLatencies:
		s := newSketch()
		a.addTo(s)
		_ = s.Add(float64(e.Latency))
		a.sketch, a.raw = s, nil
	case n == 2:
		a.raw = append(make([]int64, 0, 4), a.min, a.max, e.Latency)
	case n > 2:
		a.raw = append(a.raw, e.Latency)
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
	a.min = min(a.min, e.Latency)
	a.max = max(a.max, e.Latency)
}

// mergeLatencies adds b's latencies to a's, before a's count, min and max
// change; b is left unchanged.
func (a *acc) mergeLatencies(b *acc) {
	n := a.latCount + b.latCount
	switch {
	case b.latCount == 0:
	case b.sketch != nil && a.sketch != nil:
		_ = a.sketch.MergeWith(b.sketch) // one mapping: cannot fail
	case b.sketch != nil:
		s := b.sketch.Copy()
		a.addTo(s)
		a.sketch, a.raw = s, nil
	case a.sketch != nil:
		b.addTo(a.sketch)
	case n > exactLatencies:
		s := newSketch()
		a.addTo(s)
		b.addTo(s)
		a.sketch, a.raw = s, nil
	case n > 2 && a.latCount > 2:
		a.raw = b.latencies(a.raw)
	case n > 2:
		a.raw = b.latencies(a.latencies(make([]int64, 0, n)))
	}
}

// merge adds b into a; b is left unchanged.
func (a *acc) merge(b *acc) {
	a.mergeLatencies(b)
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

// Counts are the line counts of a partial: what was read and what was skipped.
type Counts struct {
	Lines      int64 // non-blank lines read
	Blank      int64 // empty or whitespace-only lines, ignored
	Events     int64 // lines decoded into events, out-of-range ones included
	OutOfRange int64 // events outside the partial's time range, not aggregated
	// Folded counts the events put in OtherGroup while reading, because a
	// pane of this partial had more groups than its cap. A window's
	// OtherGroup row also holds the groups Table folds when it merges panes
	// and partials: see Partial.Table.
	Folded int64
	// TooManyPanes counts events dropped because they would open a pane
	// beyond the partial's pane limit (see LimitPanes).
	TooManyPanes int64
	Bad          [numReasons]int64 // skipped lines by reason; index 0 is unused
	// Present counts, by bit of Event.Present, the aggregated events in
	// which each configured field had a value; see Presence.
	Present [64]int64
	// Before and After count, of the OutOfRange events, those in the spans
	// just before and just after the range (see Near): a dated run's
	// events of the dates either side of its own.
	Before, After int64
	// Far counts the OutOfRange events outside both spans (dates more
	// than a day from a dated run's), FarMin and FarMax their earliest and
	// latest times (meaningful when Far > 0).
	Far, FarMin, FarMax int64
	// UnknownLevel counts the aggregated events whose level was present
	// but neither a known error, warning nor non-error (LevelUnknown);
	// UnknownLevels counts their values.
	UnknownLevel  int64
	UnknownLevels LevelValues
}

// Aggregated returns the events that went into the partial's panes: the
// events less those out of range or beyond the pane limit. Folded events
// are aggregated (into OtherGroup).
func (c *Counts) Aggregated() int64 { return c.Events - c.OutOfRange - c.TooManyPanes }

// BadTotal returns the number of lines skipped as bad (see Reason.Bad).
func (c *Counts) BadTotal() int64 {
	var n int64
	for r, v := range c.Bad {
		if Reason(r).Bad() {
			n += v
		}
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
	c.Folded += o.Folded
	c.TooManyPanes += o.TooManyPanes
	c.Before += o.Before
	c.After += o.After
	if o.Far > 0 {
		if c.Far == 0 {
			c.FarMin, c.FarMax = o.FarMin, o.FarMax
		} else {
			c.FarMin, c.FarMax = min(c.FarMin, o.FarMin), max(c.FarMax, o.FarMax)
		}
		c.Far += o.Far
	}
	for i := range c.Bad {
		c.Bad[i] += o.Bad[i]
	}
	for i := range c.Present {
		c.Present[i] += o.Present[i]
	}
	c.UnknownLevel += o.UnknownLevel
	c.UnknownLevels.merge(&o.UnknownLevels)
}

// pane holds the groups of one pane.
type pane struct {
	groups map[string]*acc
}

// Partial is the aggregate of some of a run's lines: panes (the finest
// windows) keyed by start, each holding its groups. One task owns a Partial;
// partials are combined with Merge. Its memory grows with panes × groups,
// bounded by the group cap, never with the number of lines.
type Partial struct {
	size      int64 // pane length, ns
	lo, hi    int64 // events outside [lo, hi) are counted, not aggregated
	maxGroups int   // 0: no cap
	maxPanes  int   // 0: no limit
	panes     map[int64]*pane
	lastKey   int64
	last      *pane
	lastGroup []byte
	lastAcc   *acc
	// lastFolded says lastGroup is beyond the cap and lastAcc is OtherGroup.
	lastFolded bool
	Counts     Counts
	// Out-of-range events in [before, lo) and [hi, after) are also counted
	// apart; see Near. Not encoded: a decoded partial is merged, not added to.
	before, after int64
	// days counts the events by UTC date (see Days); lastDay and lastDayC
	// are the date of the last event and its counts. Not encoded.
	days     map[int64]*DayCounts
	lastDay  int64
	lastDayC *DayCounts
}

// DayCounts are the events of one UTC date that a partial read: every
// decoded event of the date, and of those the aggregated ones (not out of
// range or beyond the pane limit) with the fields they had a value for
// and how many had an unknown level, as in Counts.
type DayCounts struct {
	Events, Aggregated, UnknownLevel int64
	Present                          [64]int64
}

// Add adds o's counts to d.
func (d *DayCounts) Add(o *DayCounts) {
	d.Events += o.Events
	d.Aggregated += o.Aggregated
	d.UnknownLevel += o.UnknownLevel
	for i := range d.Present {
		d.Present[i] += o.Present[i]
	}
}

// Days returns the partial's events by UTC date (YYYY-MM-DD). A partial
// decoded from its binary form has none: they are for the reader of the
// objects, not encoded.
func (p *Partial) Days() map[string]*DayCounts {
	m := make(map[string]*DayCounts, len(p.days))
	for d, c := range p.days {
		m[time.Unix(d*86400, 0).UTC().Format(time.DateOnly)] = c
	}
	return m
}

// day returns the counts of the UTC date of t.
func (p *Partial) day(t int64) *DayCounts {
	const dayNs = int64(24 * time.Hour)
	d := t / dayNs
	if t%dayNs < 0 {
		d--
	}
	if p.lastDayC != nil && d == p.lastDay {
		return p.lastDayC
	}
	c := p.days[d]
	if c == nil {
		if p.days == nil {
			p.days = map[int64]*DayCounts{}
		}
		c = &DayCounts{}
		p.days[d] = c
	}
	p.lastDay, p.lastDayC = d, c
	return c
}

// NewPartial returns an empty partial with panes of the given length,
// aligned to the Unix epoch in UTC, and at most maxGroups groups per pane
// (0: no cap; the cap is the caller's setting, features has no default),
// OtherGroup included, as in a table's windows: when a pane holding
// maxGroups groups meets another, its least busy group (the greatest key
// among equals) and the new one fold into OtherGroup, and so do all its
// new groups after that.
func NewPartial(paneSize time.Duration, maxGroups int) *Partial {
	if paneSize <= 0 {
		panic("features: pane must be positive")
	}
	maxGroups = max(maxGroups, 0)
	return &Partial{size: int64(paneSize), lo: math.MinInt64, hi: math.MaxInt64, before: math.MaxInt64, after: math.MinInt64,
		maxGroups: maxGroups, panes: map[int64]*pane{}}
}

// LimitPanes caps the panes p holds: events that would open a pane beyond
// the cap are counted in Counts.TooManyPanes and not aggregated, so hostile
// timestamps spread over centuries cannot exhaust memory. Call it before
// adding events.
func (p *Partial) LimitPanes(n int) { p.maxPanes = n }

// Restrict makes p aggregate only events in [from, to) and count the others
// in Counts.OutOfRange. Call it before adding events.
func (p *Partial) Restrict(from, to time.Time) {
	p.lo, p.hi = from.UnixNano(), to.UnixNano()
}

// Near makes p count apart, among the events outside the range Restrict
// set, those in [before, from) in Counts.Before and those in [to, after)
// in Counts.After: a dated run's events of the previous and the next
// date. Call it before adding events.
func (p *Partial) Near(before, after time.Time) {
	p.before, p.after = before.UnixNano(), after.UnixNano()
}

// Pane returns the pane length of p.
func (p *Partial) Pane() time.Duration { return time.Duration(p.size) }

// floorTo returns the start of the period of length size holding t,
// flooring toward negative infinity so pre-1970 events land correctly too.
func floorTo(t, size int64) int64 {
	r := t % size
	if r < 0 {
		r += size
	}
	return t - r
}

// otherKey is the group key of the fold bucket. No decoded event has it:
// OtherGroup is refused as a dimension value (see validDimension).
var otherKey = EncodeGroup([]string{OtherGroup})

// otherRow is the fold bucket's dimension values: OtherGroup in each.
func otherRow(dims int) []string {
	g := make([]string, dims)
	for i := range g {
		g[i] = OtherGroup
	}
	return g
}

// Add adds a decoded event. Its fields count in Counts.Present, and an
// unknown level in Counts.UnknownLevel, only when it is aggregated: not out
// of range and not beyond the pane limit.
func (p *Partial) Add(e *Event) {
	dc := p.day(e.Time)
	dc.Events++
	if e.Time < p.lo || e.Time >= p.hi {
		p.Counts.OutOfRange++
		switch {
		case e.Time < p.lo && e.Time >= p.before:
			p.Counts.Before++
		case e.Time >= p.hi && e.Time < p.after:
			p.Counts.After++
		case p.before != 0 || p.after != 0:
			c := &p.Counts
			if c.Far == 0 || e.Time < c.FarMin {
				c.FarMin = e.Time
			}
			if c.Far == 0 || e.Time > c.FarMax {
				c.FarMax = e.Time
			}
			c.Far++
		}
		return
	}
	k := floorTo(e.Time, p.size)
	pn := p.last
	if pn == nil || k != p.lastKey {
		pn = p.panes[k]
		if pn == nil {
			if p.maxPanes > 0 && len(p.panes) >= p.maxPanes {
				p.Counts.TooManyPanes++
				return
			}
			pn = &pane{groups: map[string]*acc{}}
			p.panes[k] = pn
		}
		p.last, p.lastKey, p.lastAcc = pn, k, nil
	}
	dc.Aggregated++
	for m := e.Present; m != 0; m &= m - 1 {
		b := bits.TrailingZeros64(m)
		p.Counts.Present[b]++
		dc.Present[b]++
	}
	if e.Level == LevelUnknown {
		dc.UnknownLevel++
		p.Counts.UnknownLevel++
		p.Counts.UnknownLevels.add(e.LevelText)
	}
	a := p.lastAcc
	if a == nil || string(e.Group) != string(p.lastGroup) {
		a, p.lastFolded = pn.groups[string(e.Group)], false
		if a == nil {
			key := string(e.Group)
			if p.maxGroups > 0 && len(pn.groups) >= p.maxGroups {
				key, p.lastFolded = otherKey, true
				if a = pn.groups[otherKey]; a == nil {
					a = p.evict(pn)
				}
			}
			if a == nil {
				a = newAcc()
				pn.groups[key] = a
			}
		}
		p.lastAcc = a
		p.lastGroup = append(p.lastGroup[:0], e.Group...)
	}
	if p.lastFolded {
		p.Counts.Folded++
	}
	a.add(e)
}

// evict turns pn's least busy group (the greatest key among equals, as
// foldGroups chooses) into OtherGroup and returns its accumulator, so that
// the pane keeps at most maxGroups groups with OtherGroup among them.
func (p *Partial) evict(pn *pane) *acc {
	var key string
	var a *acc
	for k, g := range pn.groups {
		if a == nil || g.count < a.count || g.count == a.count && k > key {
			key, a = k, g
		}
	}
	if a == nil {
		return nil // maxGroups is at least 1: cannot happen
	}
	delete(pn.groups, key)
	pn.groups[otherKey] = a
	p.Counts.Folded += a.count
	return a
}

// Merge adds everything in o to p. o must have the same pane length and
// range, and must not be used afterwards.
func (p *Partial) Merge(o *Partial) error {
	if o.size != p.size || o.lo != p.lo || o.hi != p.hi {
		return fmt.Errorf("merge partials: pane or range differ (%v, %v)", time.Duration(p.size), time.Duration(o.size))
	}
	for k, b := range o.panes {
		a := p.panes[k]
		if a == nil {
			p.panes[k] = b
			continue
		}
		for g, ga := range b.groups {
			if aa := a.groups[g]; aa != nil {
				aa.merge(ga)
			} else {
				a.groups[g] = ga
			}
		}
	}
	p.Counts.merge(&o.Counts)
	for d, c := range o.days {
		if p.days == nil {
			p.days = map[int64]*DayCounts{}
		}
		if a := p.days[d]; a != nil {
			a.Add(c)
		} else {
			p.days[d] = c
		}
	}
	o.panes, o.last, o.lastAcc, o.days, o.lastDayC = nil, nil, nil, nil, nil
	p.last, p.lastAcc = nil, nil
	return nil
}

// Panes returns the number of non-empty panes.
func (p *Partial) Panes() int { return len(p.panes) }

// Span returns the start of the first pane holding events and the end of
// the last; ok is false when no pane holds any.
func (p *Partial) Span() (from, to time.Time, ok bool) {
	if len(p.panes) == 0 {
		return time.Time{}, time.Time{}, false
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for k := range p.panes {
		lo, hi = min(lo, k), max(hi, k)
	}
	return time.Unix(0, lo).UTC(), time.Unix(0, hi+p.size).UTC(), true
}

// Window is one output table's windowing: windows of Size starting every
// Slide. Slide == Size (or 0) is tumbling; the parsers of its spellings
// (window_spell.go) return Slide == Size.
type Window struct {
	Size, Slide time.Duration
}

// shortDuration spells d as time.Duration does, without the zero units
// after the largest: 5m, 1h, 1h30m, 1m30s, 10m (not 5m0s, 1h0m0s, 10m0s).
// It parses back to d with time.ParseDuration.
func shortDuration(d time.Duration) string {
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// PaneFor returns the pane length that serves all windows: the greatest
// common divisor of their sizes and slides.
func PaneFor(ws []Window) time.Duration {
	var g int64
	for _, w := range ws {
		g = gcd(g, int64(w.Size))
		g = gcd(g, int64(w.slide()))
	}
	return time.Duration(g)
}

func (w Window) slide() time.Duration {
	if w.Slide == 0 {
		return w.Size
	}
	return w.Slide
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Events returns the events of the windows of w that start in [from,
// to), each counted once however many of those windows hold it: the
// events of the panes in the union of the windows' spans. With tumbling
// windows it is their request counts summed; a sliding window counts an
// event once per window holding it, this once in all.
func (p *Partial) Events(w Window, from, to time.Time) int64 {
	size, slide := int64(w.Size), int64(w.slide())
	first := floorTo(from.UnixNano(), slide)
	if first < from.UnixNano() {
		first += slide
	}
	last := floorTo(to.UnixNano()-1, slide) // the last start before to
	if last < first {
		return 0
	}
	var n int64
	for k, pn := range p.panes {
		if k >= first && k < last+size {
			for _, a := range pn.groups {
				n += a.count
			}
		}
	}
	return n
}

// TableOptions shape a feature table.
type TableOptions struct {
	// From and To bound the windows by start, [From, To). Zero values mean
	// the span of the data.
	From, To time.Time
	// Dense emits every window in range for every group seen, with zero
	// counts and null latency statistics where nothing happened.
	Dense bool
	// CoverFrom and CoverTo, when CoverFrom is not zero, are the span
	// the input covers, [CoverFrom, CoverTo): a dense table emits only the
	// windows that overlap it (none when it is empty), so that no row
	// stands for a time the input did not reach (see Partial.Span).
	CoverFrom, CoverTo time.Time
	// MaxGroups caps groups per window; the least busy fold into
	// OtherGroup. 0 is the partial's own cap (see NewPartial).
	MaxGroups int
	// Dims is the number of group-by dimensions.
	Dims int
}

// Table builds the rows of one window specification, sorted by window start
// and then group. Windows are merged from the panes they cover; the partial
// is not changed.
//
// A window with more than MaxGroups groups keeps the MaxGroups-1 busiest
// (ties by key) and folds the rest into one row whose every dimension is
// OtherGroup. Its count is therefore Counts.Folded (the events folded while
// reading, see NewPartial) plus the events of the groups folded here: the
// two agree when no window merges panes or partials whose groups together
// exceed the cap, e.g. one partial (an object read whole), tumbling windows
// of one pane, and MaxGroups equal to the partial's cap.
func (p *Partial) Table(w Window, o TableOptions) ([]Row, error) {
	var rows []Row
	err := p.Rows(w, o, func(rs []Row) error {
		rows = append(rows, rs...)
		return nil
	})
	return rows, err
}

// Rows calls fn with the rows Table would return, one window at a time in
// the same order, so that a caller can encode them without holding them
// all. The slice is reused once fn returns (the values its rows point to
// are not); fn's error stops Rows and is returned.
func (p *Partial) Rows(w Window, o TableOptions, fn func(rows []Row) error) error {
	size, slide := int64(w.Size), int64(w.slide())
	if size%p.size != 0 || slide%p.size != 0 {
		return fmt.Errorf("window %v is not a multiple of pane %v", w.Size, time.Duration(p.size))
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = p.maxGroups // the cap the partial was read with
	}
	keys := make([]int64, 0, len(p.panes))
	groupSet := map[string]bool{}
	for k, pn := range p.panes {
		keys = append(keys, k)
		if o.Dense {
			for g := range pn.groups {
				groupSet[g] = true
			}
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 && (o.From.IsZero() || !o.Dense) {
		return nil
	}
	starts := windowStarts(keys, size, slide, o)
	groups := make([]string, 0, len(groupSet))
	for g := range groupSet {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	var rows []Row
	var b rowBuilder
	empty := newAcc()
	for _, start := range starts {
		// A window of one pane reads the pane's groups as they are (row
		// changes nothing); a longer one merges its panes' into its own.
		var win map[string]*acc
		shared := size == p.size
		if shared {
			if pn := p.panes[start]; pn != nil {
				win = pn.groups
			}
		} else {
			win = map[string]*acc{}
			for ps := start; ps < start+size; ps += p.size {
				pn := p.panes[ps]
				if pn == nil {
					continue
				}
				for g, a := range pn.groups {
					wa := win[g]
					if wa == nil {
						wa = newAcc()
						win[g] = wa
					}
					wa.merge(a)
				}
			}
		}
		var folded map[string]bool
		if o.MaxGroups > 0 && len(win) > o.MaxGroups {
			if shared {
				win = maps.Clone(win)
			}
			folded = foldGroups(win, o.MaxGroups)
		}
		emit := slices.SortedFunc(maps.Keys(win), compareGroups)
		if o.Dense {
			emit = groups
			if _, ok := win[otherKey]; ok && !groupSet[otherKey] {
				emit = append(slices.Clone(groups), otherKey)
				slices.SortFunc(emit, compareGroups)
			}
		}
		rows = rows[:0]
		for _, g := range emit {
			a := win[g]
			if a == nil {
				if folded[g] {
					continue // its events are in OtherGroup in this window
				}
				a = empty
			}
			r := a.row(start, size, &b)
			switch {
			case o.Dims > 0 && g == otherKey:
				r.Group = otherRow(o.Dims)
			case o.Dims > 0:
				r.Group = DecodeGroup(g, o.Dims)
			}
			rows = append(rows, r)
		}
		if len(rows) > 0 {
			if err := fn(rows); err != nil {
				return err
			}
		}
	}
	return nil
}

const dayNanos = int64(24 * time.Hour)

// windowStarts lists the windows a table holds: every window of [From, To)
// when given; otherwise, dense, every window of each UTC date that has
// events, or, sparse, every window that covers a pane with events. A stray
// event decades away thus costs one day of windows, not every day between.
func windowStarts(keys []int64, size, slide int64, o TableOptions) []int64 {
	var starts []int64
	// lo and hi bound the starts of dense windows: those overlapping the
	// covered span.
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if o.Dense && !o.CoverFrom.IsZero() {
		lo, hi = o.CoverFrom.UnixNano()-size+1, o.CoverTo.UnixNano()
		if !o.CoverTo.After(o.CoverFrom) {
			hi = lo // an empty span: no window
		}
	}
	switch {
	case !o.From.IsZero():
		for s := floorTo(o.From.UnixNano(), slide); s < o.To.UnixNano(); s += slide {
			if s >= lo && s < hi {
				starts = append(starts, s)
			}
		}
	case o.Dense:
		last := int64(math.MinInt64)
		for _, k := range keys {
			if d := floorTo(k, dayNanos); d != last {
				for s := d; s < d+dayNanos; s += slide {
					if s >= lo && s < hi {
						starts = append(starts, s)
					}
				}
				last = d
			}
		}
	default:
		seen := map[int64]bool{}
		for _, k := range keys {
			for s := floorTo(k, slide); s > k-size; s -= slide {
				if !seen[s] {
					seen[s] = true
					starts = append(starts, s)
				}
			}
		}
		slices.Sort(starts)
	}
	return starts
}

// compareGroups orders encoded group keys by their values, dimension by
// dimension.
func compareGroups(a, b string) int {
	for a != "" || b != "" {
		av, arest := nextGroupValue(a)
		bv, brest := nextGroupValue(b)
		if c := strings.Compare(av, bv); c != 0 {
			return c
		}
		a, b = arest, brest
	}
	return 0
}

func nextGroupValue(key string) (string, string) {
	if key == "" {
		return "", ""
	}
	l, k := binary.Uvarint([]byte(key[:min(len(key), binary.MaxVarintLen64)]))
	if k <= 0 || uint64(len(key)-k) < l {
		return key, ""
	}
	return key[k : k+int(l)], key[k+int(l):]
}

// foldGroups keeps the max-1 busiest groups (ties by key) and merges the
// rest into OtherGroup, deterministically.
func foldGroups(win map[string]*acc, max int) map[string]bool {
	keys := slices.Collect(maps.Keys(win))
	slices.SortFunc(keys, func(a, b string) int {
		if a == otherKey {
			return 1
		}
		if b == otherKey {
			return -1
		}
		if c := win[b].count - win[a].count; c != 0 {
			if c > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	// A new accumulator: win's own may be a pane's, which Table must not
	// change.
	other := newAcc()
	if o := win[otherKey]; o != nil {
		other.merge(o)
	}
	folded := map[string]bool{}
	for _, k := range keys[max-1:] {
		if k != otherKey {
			other.merge(win[k])
			delete(win, k)
			folded[k] = true
		}
	}
	win[otherKey] = other
	return folded
}

var quantiles = []float64{0.5, 0.9, 0.95, 0.99}

// rowBuilder builds rows: it reuses its big numbers for the exact moments
// from row to row and allocates the rows' float values in blocks, not one
// by one.
type rowBuilder struct {
	m      moments
	floats []float64
}

// f returns a pointer to a new float holding v.
func (b *rowBuilder) f(v float64) *float64 {
	if len(b.floats) == cap(b.floats) {
		b.floats = make([]float64, 0, 1024)
	}
	b.floats = append(b.floats, v)
	return &b.floats[len(b.floats)-1]
}

// row returns a's row of the window [start, start+size). It does not
// change what a holds.
func (a *acc) row(start, size int64, b *rowBuilder) Row {
	r := Row{
		WindowStart:  time.Unix(0, start).UTC(),
		WindowEnd:    time.Unix(0, start+size).UTC(),
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
	var qs [4]float64
	if a.sketch == nil {
		var buf [exactLatencies]int64
		lats := a.latencies(buf[:0])
		slices.Sort(lats)
		for i, q := range quantiles {
			qs[i] = float64(lats[exactRank(q, len(lats))]) / 1e6
		}
	} else {
		for i, q := range quantiles {
			v, err := a.sketch.GetValueAtQuantile(q)
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
}

// moments returns a's mean latency in milliseconds and the population
// standard deviation in nanoseconds, each exact until its one division and
// square root, and the same bits whatever row came before.
func (m *moments) moments(a *acc) (avg, std float64) {
	// Small operands: one float64 division is correctly rounded, as is
	// the 128-bit quotient rounded to 64 bits, so both give the same bits;
	// one latency deviates by 0, two by half their distance, exactly.
	const exact = 1 << 53
	if a.sumHi == 0 && a.sumLo < exact && a.latCount <= 2 && a.max-a.min < exact {
		return float64(a.sumLo) / float64(a.latCount*1e6), float64(a.max-a.min) / 2
	}
	return m.exactMoments(a)
}

// exactMoments is moments through big numbers, for any sums.
func (m *moments) exactMoments(a *acc) (avg, std float64) {
	m.n.SetInt64(a.latCount)
	m.sum.SetUint64(a.sumHi).Lsh(&m.sum, 64).Or(&m.sum, m.t.SetUint64(a.sumLo))
	m.sq.SetUint64(a.sq[2]).Lsh(&m.sq, 128)
	m.sq.Or(&m.sq, m.t.SetUint64(a.sq[1]).Lsh(&m.t, 64))
	m.sq.Or(&m.sq, m.t.SetUint64(a.sq[0]))

	m.t.Mul(&m.n, m.e6.SetInt64(1e6))
	avg, _ = m.q.SetPrec(128).Quo(m.fs.SetPrec(0).SetInt(&m.sum), m.fd.SetPrec(0).SetInt(&m.t)).Float64()
	// Population variance n*Σx² - (Σx)², divided by n², exact until the division.
	m.num.Mul(&m.n, &m.sq)
	m.num.Sub(&m.num, m.t.Mul(&m.sum, &m.sum))
	m.den.Mul(&m.n, &m.n)
	m.v.SetPrec(256).Quo(m.fs.SetPrec(0).SetInt(&m.num), m.fd.SetPrec(0).SetInt(&m.den))
	std, _ = m.sd.SetPrec(256).Sqrt(&m.v).Float64()
	return avg, std
}
