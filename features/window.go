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

// acc accumulates one pane (or window) of one group. Every field is exact
// or a sketch whose merge does not depend on order.
type acc struct {
	count, errors, warns int64
	latCount             int64
	sumLo, sumHi         uint64    // sum of latency ns, 128 bits
	sq                   [3]uint64 // sum of squared latency ns, 192 bits, little-endian words
	min, max             int64
	status               [4]int64 // 2xx, 3xx, 4xx, 5xx
	bytes                int64
	sketch               *ddsketch.DDSketch
	hll                  *hyperloglog.Sketch
}

func newAcc() *acc {
	return &acc{min: math.MaxInt64, max: math.MinInt64}
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
	if a.sketch == nil {
		a.sketch = ddsketch.NewDDSketchFromStoreProvider(sketchMapping, store.BufferedPaginatedStoreConstructor)
	}
	// Latencies are non-negative and finite, so Add cannot fail.
	_ = a.sketch.Add(float64(e.Latency))
}

// merge adds b into a; b is left unchanged.
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
	for i := range a.status {
		a.status[i] += b.status[i]
	}
	a.bytes += b.bytes
	if b.sketch != nil {
		if a.sketch == nil {
			a.sketch = b.sketch.Copy()
		} else {
			_ = a.sketch.MergeWith(b.sketch) // one mapping: cannot fail
		}
	}
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

// DefaultMaxGroups is the default cap on groups per pane and per window.
const DefaultMaxGroups = 10000

// Partial is the aggregate of some of a run's lines: panes (the finest
// windows) keyed by start, each holding its groups. One task owns a Partial;
// partials are combined with Merge. Its memory grows with panes × groups,
// bounded by the group cap, never with the number of lines.
type Partial struct {
	size      int64 // pane length, ns
	lo, hi    int64 // events outside [lo, hi) are counted, not aggregated
	maxGroups int
	maxPanes  int // 0: no limit
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
// (0 means DefaultMaxGroups), OtherGroup included, as in a table's windows:
// when a pane holding maxGroups groups meets another, its least busy group
// (the greatest key among equals) and the new one fold into OtherGroup, and
// so do all its new groups after that.
func NewPartial(paneSize time.Duration, maxGroups int) *Partial {
	if paneSize <= 0 {
		panic("features: pane must be positive")
	}
	if maxGroups <= 0 {
		maxGroups = DefaultMaxGroups
	}
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
			if len(pn.groups) >= p.maxGroups {
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
// Slide. Slide == Size (or 0) is tumbling.
type Window struct {
	Size, Slide time.Duration
}

// String names the window as in output paths: "5m", or "15m/5m" for sliding.
func (w Window) String() string {
	s := shortDuration(w.Size)
	if w.Slide != 0 && w.Slide != w.Size {
		s += "-every-" + shortDuration(w.Slide)
	}
	return s
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
	// MaxGroups caps groups per window; the least busy fold into OtherGroup.
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
	size, slide := int64(w.Size), int64(w.slide())
	if size%p.size != 0 || slide%p.size != 0 {
		return nil, fmt.Errorf("window %v is not a multiple of pane %v", w.Size, time.Duration(p.size))
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = DefaultMaxGroups
	}
	keys := make([]int64, 0, len(p.panes))
	groupSet := map[string]bool{}
	for k, pn := range p.panes {
		keys = append(keys, k)
		for g := range pn.groups {
			groupSet[g] = true
		}
	}
	slices.Sort(keys)
	if len(keys) == 0 && (o.From.IsZero() || !o.Dense) {
		return nil, nil
	}
	starts := windowStarts(keys, size, slide, o)
	groups := make([]string, 0, len(groupSet))
	for g := range groupSet {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	var rows []Row
	var mom moments
	for _, start := range starts {
		win := map[string]*acc{}
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
		var folded map[string]bool
		if len(win) > o.MaxGroups {
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
		for _, g := range emit {
			a := win[g]
			if a == nil {
				if folded[g] {
					continue // its events are in OtherGroup in this window
				}
				a = newAcc()
			}
			r := a.row(start, size, &mom)
			switch {
			case o.Dims > 0 && g == otherKey:
				r.Group = otherRow(o.Dims)
			case o.Dims > 0:
				r.Group = DecodeGroup(g, o.Dims)
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
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
	other := win[otherKey]
	if other == nil {
		other = newAcc()
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

func (a *acc) row(start, size int64, m *moments) Row {
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
		r.ErrorRate = ptr(float64(a.errors) / float64(a.count))
	}
	if a.hll != nil {
		r.DistinctCount = int64(a.hll.Estimate()) // a window's own copy: compacting it is harmless
	}
	if a.latCount == 0 {
		return r
	}
	avg, std := m.moments(a)
	r.LatencyAvg = ptr(avg)
	r.LatencyMin = ptr(float64(a.min) / 1e6)
	r.LatencyMax = ptr(float64(a.max) / 1e6)
	r.LatencyStddev = ptr(std / 1e6)
	qs, err := a.sketch.GetValuesAtQuantiles(quantiles)
	if err != nil {
		panic(fmt.Sprintf("ddsketch quantiles of non-empty sketch: %v", err))
	}
	for i := range qs {
		qs[i] = min(max(qs[i], float64(a.min)), float64(a.max)) / 1e6
	}
	r.LatencyP50, r.LatencyP90, r.LatencyP95, r.LatencyP99 = ptr(qs[0]), ptr(qs[1]), ptr(qs[2]), ptr(qs[3])
	return r
}

func ptr(f float64) *float64 { return &f }

// moments computes a window's latency mean and population standard
// deviation from its exact sums, reusing its big numbers from row to row.
type moments struct {
	n, sum, sq, t, num, den big.Int
	fs, fd, q, v, sd        big.Float
}

// moments returns a's mean latency in milliseconds and the population
// standard deviation in nanoseconds, each exact until its one division and
// square root, and the same bits whatever row came before.
func (m *moments) moments(a *acc) (avg, std float64) {
	m.n.SetInt64(a.latCount)
	m.sum.SetUint64(a.sumHi).Lsh(&m.sum, 64).Or(&m.sum, m.t.SetUint64(a.sumLo))
	m.sq.SetUint64(a.sq[2]).Lsh(&m.sq, 128)
	m.sq.Or(&m.sq, m.t.SetUint64(a.sq[1]).Lsh(&m.t, 64))
	m.sq.Or(&m.sq, m.t.SetUint64(a.sq[0]))

	m.t.Mul(&m.n, big.NewInt(1e6))
	avg, _ = m.q.SetPrec(128).Quo(m.fs.SetPrec(0).SetInt(&m.sum), m.fd.SetPrec(0).SetInt(&m.t)).Float64()
	// Population variance n*Σx² - (Σx)², divided by n², exact until the division.
	m.num.Mul(&m.n, &m.sq)
	m.num.Sub(&m.num, m.t.Mul(&m.sum, &m.sum))
	m.den.Mul(&m.n, &m.n)
	m.v.SetPrec(256).Quo(m.fs.SetPrec(0).SetInt(&m.num), m.fd.SetPrec(0).SetInt(&m.den))
	std, _ = m.sd.SetPrec(256).Sqrt(&m.v).Float64()
	return avg, std
}
