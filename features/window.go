package features

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"
)

// OtherGroup is the dimension value of the row that absorbs groups beyond
// the cardinality cap, in every dimension. It is reserved: a line with a
// dimension equal to it is bad_dimension.
const OtherGroup = "__other__"

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
	bytes  int64 // the cellBytes of its groups, summed
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

// maxPaneHint bounds the groups a new pane makes room for before it holds
// any (see Add).
const maxPaneHint = 1 << 16

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
			// The next pane of a stream of events holds about as many
			// groups as the one before: room for them at once, rather
			// than growing there one doubling at a time.
			hint := 0
			if p.last != nil && k == p.lastKey+p.size {
				hint = min(len(p.last.groups), maxPaneHint)
			}
			pn = &pane{groups: make(map[string]*acc, hint)}
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
				pn.bytes += cellBytes(key, a)
			}
		}
		p.lastAcc = a
		p.lastGroup = append(p.lastGroup[:0], e.Group...)
	}
	if p.lastFolded {
		p.Counts.Folded++
	}
	// The event may grow the cell's latencies or make its sketches.
	before := a.extraBytes()
	a.add(e)
	pn.bytes += a.extraBytes() - before
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
	pn.bytes += int64(len(otherKey) - len(key))
	p.Counts.Folded += a.count
	return a
}

// Merge adds everything in o to p. o must have the same pane length and
// range, and must not be used afterwards.
func (p *Partial) Merge(o *Partial) error {
	_, err := p.MergeGrown(o)
	return err
}

// MergeGrown is Merge, and returns by how much p's Footprint grew.
func (p *Partial) MergeGrown(o *Partial) (int64, error) {
	if err := p.Mergeable(o); err != nil {
		return 0, err
	}
	var grown int64
	for k, b := range o.panes {
		a := p.panes[k]
		if a == nil {
			p.panes[k] = b
			grown += paneBytes + b.bytes
			continue
		}
		had := a.bytes
		for g, ga := range b.groups {
			if aa := a.groups[g]; aa != nil {
				before := aa.extraBytes()
				aa.merge(ga)
				a.bytes += aa.extraBytes() - before
			} else {
				a.groups[g] = ga
				a.bytes += cellBytes(g, ga)
			}
		}
		grown += a.bytes - had
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
	return grown, nil
}

// Mergeable says why o cannot be merged into p — their panes or their
// date range differ — or nil when it can.
func (p *Partial) Mergeable(o *Partial) error {
	if o.size != p.size || o.lo != p.lo || o.hi != p.hi {
		return fmt.Errorf("merge partials: pane or range differ (%v, %v)", time.Duration(p.size), time.Duration(o.size))
	}
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
