package features

import (
	"maps"
	"math"
	"slices"
	"time"
	"unsafe"
)

// This file holds what a caller needs to keep a partial's panes apart by
// time range (job/spill): moving a range out, reading one without copying,
// and what a partial's panes add up to without its cells.

// Take moves the panes of p starting in [from, to) (Unix nanoseconds) into
// a new partial of p's pane length, range and group cap, and returns it;
// p keeps its counts and the other panes. The new partial has no counts.
func (p *Partial) Take(from, to int64) *Partial {
	q := p.emptyLike()
	for k, pn := range p.panes {
		if k >= from && k < to {
			q.panes[k] = pn
			delete(p.panes, k)
		}
	}
	p.last, p.lastAcc = nil, nil
	return q
}

// Slice returns a partial holding p's panes starting in [from, to), shared
// with p, and no counts: to read (Rows, Table, MarshalBinary) or to hand to
// Merge as its argument, never to add to or merge into. Merged into
// another partial, its cells are that partial's as well: from then on
// only one of the two may be added to or merged into, and the other's
// Footprint no longer follows its cells.
func (p *Partial) Slice(from, to int64) *Partial {
	q := p.emptyLike()
	for k, pn := range p.panes {
		if k >= from && k < to {
			q.panes[k] = pn
		}
	}
	return q
}

// emptyLike returns an empty partial with p's pane length, range and cap.
func (p *Partial) emptyLike() *Partial {
	q := NewPartial(time.Duration(p.size), p.maxGroups)
	q.lo, q.hi, q.maxPanes = p.lo, p.hi, p.maxPanes
	return q
}

// PaneEvents calls fn with the start and event count of each pane of p, in
// no particular order.
func (p *Partial) PaneEvents(fn func(start, events int64)) {
	for k, pn := range p.panes {
		var n int64
		for _, a := range pn.groups {
			n += a.count
		}
		fn(k, n)
	}
}

// Groups calls fn with the key of every group p holds in some pane, as
// TableOptions.Groups takes them; a key may come more than once.
func (p *Partial) Groups(fn func(key string)) {
	for _, pn := range p.panes {
		for g := range pn.groups {
			fn(g)
		}
	}
}

// Footprint estimates the bytes p's panes hold: each cell's accumulator,
// key and map entry, its latencies held as they are and its sketches. It
// is a measure to compare with a budget, not an exact count. Each pane
// keeps its cells' sum as they change, so that Footprint need not visit
// them.
func (p *Partial) Footprint() int64 {
	n := int64(len(p.panes)) * paneBytes
	for _, pn := range p.panes {
		n += pn.bytes
	}
	return n
}

// paneBytes is what Footprint counts for a pane besides its cells.
const paneBytes = 64

// cellBytes is what Footprint counts for a cell of key holding a: its
// accumulator, key and map entry, and a.extraBytes.
func cellBytes(key string, a *acc) int64 {
	const mapEntry = 48 // a map slot: key header, pointer, hash and overhead
	return int64(unsafe.Sizeof(*a)) + mapEntry + int64(len(key)) + a.extraBytes()
}

// extraBytes is what Footprint counts for a's latency state and distinct
// sketch, the parts of a cell that grow as events are added.
func (a *acc) extraBytes() int64 {
	const (
		sketch = 3 << 10
		hll    = 2 << 10
	)
	var n int64
	if l := a.lat; l != nil {
		n += int64(unsafe.Sizeof(*l)) + 8*int64(cap(l.raw))
		if l.sketch != nil {
			n += sketch
		}
	}
	if a.hll != nil {
		n += hll
	}
	return n
}

// WithGroups returns a partial holding p's panes, shared, and an empty
// accumulator for each of groups in a pane before any other, so that a
// dense table from it (TableOptions.From set: the windows of [From, To)
// alone) emits every window for each of groups as well as for p's own:
// the groups of a whole run whose panes are read a range at a time. Only
// to read.
func (p *Partial) WithGroups(groups map[string]bool) *Partial {
	q := p.Slice(math.MinInt64, math.MaxInt64)
	all := &pane{groups: make(map[string]*acc, len(groups))}
	empty := newAcc()
	for g := range groups {
		all.groups[g] = empty
		all.bytes += cellBytes(g, empty)
	}
	q.panes[math.MinInt64] = all
	return q
}

// PaneStarts returns the starts of p's panes, sorted.
func (p *Partial) PaneStarts() []int64 { return slices.Sorted(maps.Keys(p.panes)) }

// EventsIn returns what Partial.Events returns, from the events of each
// pane (by start) instead of the panes themselves: those of the panes in
// the union of the spans of the windows of w that start in [from, to).
func EventsIn(panes map[int64]int64, w Window, from, to time.Time) int64 {
	size, slide := int64(w.Size), int64(w.slide())
	first := floorTo(from.UnixNano(), slide)
	if first < from.UnixNano() {
		first += slide
	}
	last := floorTo(to.UnixNano()-1, slide)
	if last < first {
		return 0
	}
	var n int64
	for k, e := range panes {
		if k >= first && k < last+size {
			n += e
		}
	}
	return n
}
