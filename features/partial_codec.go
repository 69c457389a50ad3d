package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/axiomhq/hyperloglog"
)

// PartialFormatVersion is the version of the binary partial format written
// by MarshalBinary. See docs/operations.md, "Scaling out", for the layout. Version 3 added
// the field presence counts after the bad-line counts; UnmarshalPartial
// refuses other versions. Version 4 counts presence in aggregated events
// only (version 3 counted out-of-range events too, so a field seen only
// outside the date looked present): the layout is version 3's. Version 5
// adds the unknown levels after the presence counts: their count, whether
// values were dropped, and the values kept with their counts, in byte
// order. Version 6 adds Counts.Before and Counts.After after
// Counts.TooManyPanes; version 7 the events of dates farther away (Far,
// FarMin, FarMax) after them. Version 8 keeps a cell's latencies exactly
// while it has at most 32 (see exactLatencies): after the exact sums, the
// number of latencies written as they are, then each, in increasing
// order (one or two are the cell's minimum and maximum and are not
// written; more than 32 are the sketch that follows, as before). Version
// 9 writes the sketch as its own buckets (see appendSketch) rather than
// the library's encoding, so that decoding corrupt bytes costs no more
// than their length.
const PartialFormatVersion = 9

var partialMagic = []byte("LSPARTv9")

// MarshalBinary encodes the partial: every pane, group and accumulator with
// its sketches, and the counts. Panes and groups are written in sorted
// order, so the same partial built the same way encodes to the same bytes.
func (p *Partial) MarshalBinary() ([]byte, error) {
	return p.marshal(nil, true, nil)
}

// AppendUnordered appends the partial's encoding to b as MarshalBinary
// does, but with panes and groups in no particular order: it decodes to
// the same partial, yet its bytes depend on map order. For bytes that are
// read back by the same process and never compared (a spill file). It
// calls events, when not nil, with what PaneEvents gives, on the way.
func (p *Partial) AppendUnordered(b []byte, events func(start, n int64)) ([]byte, error) {
	return p.marshal(b, false, events)
}

func (p *Partial) marshal(b []byte, sorted bool, events func(start, n int64)) ([]byte, error) {
	b = append(b, partialMagic...)
	b = binary.AppendVarint(b, p.size)
	b = binary.AppendVarint(b, p.lo)
	b = binary.AppendVarint(b, p.hi)
	b = binary.AppendUvarint(b, uint64(p.maxGroups))
	c := &p.Counts
	for _, v := range []int64{c.Lines, c.Blank, c.Events, c.OutOfRange, c.Folded, c.TooManyPanes, c.Before, c.After, c.Far, c.FarMin, c.FarMax} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Bad)))
	for _, v := range c.Bad {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Present)))
	for _, v := range c.Present {
		b = binary.AppendVarint(b, v)
	}
	b = c.UnknownLevels.appendBinary(binary.AppendVarint(b, c.UnknownLevel))
	b = binary.AppendUvarint(b, uint64(len(p.panes)))
	var err error
	if !sorted {
		for s, pn := range p.panes {
			b = binary.AppendUvarint(binary.AppendVarint(b, s), uint64(len(pn.groups)))
			var n int64
			for k, a := range pn.groups {
				if b, err = appendCell(b, k, a); err != nil {
					return nil, err
				}
				n += a.count
			}
			if events != nil {
				events(s, n)
			}
		}
		return b, nil
	}
	for _, s := range slices.Sorted(maps.Keys(p.panes)) {
		pn := p.panes[s]
		b = binary.AppendUvarint(binary.AppendVarint(b, s), uint64(len(pn.groups)))
		for _, k := range slices.Sorted(maps.Keys(pn.groups)) {
			if b, err = appendCell(b, k, pn.groups[k]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// appendCell appends one group's key and accumulator.
func appendCell(b []byte, k string, a *acc) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(len(k)))
	return a.appendBinary(append(b, k...))
}

func (a *acc) appendBinary(b []byte) ([]byte, error) {
	for _, v := range []int64{a.count, a.errors, a.warns, a.latCount, a.min, a.max, a.bytes,
		a.status[0], a.status[1], a.status[2], a.status[3]} {
		b = binary.AppendVarint(b, v)
	}
	l := a.sums()
	for _, v := range []uint64{l.sumLo, l.sumHi, l.sq[0], l.sq[1], l.sq[2]} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	var raw []int64
	if a.latCount > 2 && a.sketchOf() == nil {
		raw = slices.Sorted(slices.Values(a.rawOf()))
	}
	b = binary.AppendUvarint(b, uint64(len(raw)))
	for _, v := range raw {
		b = binary.AppendVarint(b, v)
	}
	if a.sketchOf() == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		var err error
		if b, err = appendSketch(b, a.lat.sketch); err != nil {
			return nil, err
		}
	}
	var hb []byte
	if a.hll != nil {
		a.hll.Estimate() // compacts the sparse form into its sorted list
		var err error
		if hb, err = a.hll.MarshalBinary(); err != nil {
			return nil, fmt.Errorf("encode hyperloglog: %w", err)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(hb)))
	return append(b, hb...), nil
}

// errCorrupt is returned for bytes that are not a partial of this version.
var errCorrupt = errors.New("corrupt partial")

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint(limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > limit {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil || uint64(len(d.b)) < n {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u64() uint64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// UnmarshalPartial decodes a partial written by MarshalBinary.
func UnmarshalPartial(data []byte) (*Partial, error) {
	if len(data) < len(partialMagic) || string(data[:len(partialMagic)]) != string(partialMagic) {
		return nil, fmt.Errorf("%w: not a logsmith partial v%d", errCorrupt, PartialFormatVersion)
	}
	d := &decoder{b: data[len(partialMagic):]}
	size, lo, hi := d.varint(), d.varint(), d.varint()
	maxGroups := d.uvarint(math.MaxInt32)
	if d.err != nil || size <= 0 {
		return nil, errCorrupt
	}
	p := NewPartial(time.Duration(size), int(maxGroups))
	p.lo, p.hi = lo, hi
	c := &p.Counts
	for _, f := range []*int64{&c.Lines, &c.Blank, &c.Events, &c.OutOfRange, &c.Folded, &c.TooManyPanes, &c.Before, &c.After, &c.Far, &c.FarMin, &c.FarMax} {
		*f = d.varint()
	}
	nr := d.uvarint(255)
	for i := range nr {
		v := d.varint()
		if int(i) < len(c.Bad) {
			c.Bad[i] = v
		}
	}
	for i := range d.uvarint(uint64(len(c.Present))) {
		c.Present[i] = d.varint()
	}
	c.UnknownLevel = d.varint()
	c.UnknownLevels.decode(d)
	np := d.uvarint(uint64(len(d.b)))
	for range np {
		start := d.varint()
		ng := d.uvarint(uint64(len(d.b)))
		// A pane or a group that comes twice would replace the first:
		// its events lost without a word. No encoder writes one.
		if _, ok := p.panes[start]; ok && d.err == nil {
			return nil, errCorrupt
		}
		pn := &pane{groups: make(map[string]*acc, ng)}
		for range ng {
			key := string(d.bytes(d.uvarint(uint64(len(d.b)))))
			a, err := decodeAcc(d)
			if err != nil {
				return nil, err
			}
			if _, ok := pn.groups[key]; ok && d.err == nil {
				return nil, errCorrupt
			}
			pn.groups[key] = a
			pn.bytes += cellBytes(key, a)
		}
		p.panes[start] = pn
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return p, nil
}

func decodeAcc(d *decoder) (*acc, error) {
	a := &acc{}
	for _, f := range []*int64{&a.count, &a.errors, &a.warns, &a.latCount, &a.min, &a.max, &a.bytes,
		&a.status[0], &a.status[1], &a.status[2], &a.status[3]} {
		*f = d.varint()
	}
	// Decoded on the stack: most cells hold one or two latencies, kept as
	// their minimum and maximum without a latState.
	var l latState
	l.sumLo, l.sumHi, l.sq[0], l.sq[1], l.sq[2] = d.u64(), d.u64(), d.u64(), d.u64(), d.u64()
	if nr := d.uvarint(exactLatencies); nr > 0 {
		l.raw = make([]int64, nr)
		for i := range l.raw {
			l.raw[i] = d.varint()
		}
	}
	if d.uvarint(1) == 1 {
		l.sketch = decodeSketch(d, a.latCount)
	}
	if a.latCount > 2 {
		kept := l
		a.lat = &kept
	} else if s := a.sums(); len(l.raw) > 0 || l.sketch != nil || s.sumLo != l.sumLo || s.sumHi != l.sumHi || s.sq != l.sq {
		// One or two latencies are min and max, and their sums follow.
		return nil, fmt.Errorf("%w: a cell's latencies do not match its counts", errCorrupt)
	}
	if hb := d.bytes(d.uvarint(uint64(len(d.b)))); len(hb) > 0 {
		h := hyperloglog.New14()
		if err := h.UnmarshalBinary(hb); err != nil {
			return nil, fmt.Errorf("%w: hyperloglog: %v", errCorrupt, err)
		}
		a.hll = h
	}
	if d.err != nil {
		return nil, d.err
	}
	if !a.consistent() {
		return nil, fmt.Errorf("%w: a cell's latencies do not match its counts", errCorrupt)
	}
	return a, nil
}

// consistent tells whether a decoded cell holds its latencies as add and
// merge do (see acc), so that rows and merges can rely on it: exactly
// with at most exactLatencies of them, within its minimum and maximum, a
// sketch with more.
func (a *acc) consistent() bool {
	n := a.latCount
	switch {
	case n < 0:
		return false
	case n == 0:
		return len(a.rawOf()) == 0 && a.sketchOf() == nil
	case n > exactLatencies:
		return len(a.rawOf()) == 0 && a.sketchOf() != nil && a.min >= 0 && a.min <= a.max
	case a.sketchOf() != nil || a.min < 0 || a.min > a.max || n == 1 && a.min != a.max:
		return false
	case n <= 2:
		return len(a.rawOf()) == 0
	}
	if int64(len(a.rawOf())) != n {
		return false
	}
	lo, hi := slices.Min(a.rawOf()), slices.Max(a.rawOf())
	return lo == a.min && hi == a.max
}

func (v *LevelValues) appendBinary(b []byte) []byte {
	more := uint64(0)
	if v.more {
		more = 1
	}
	b = binary.AppendUvarint(b, more)
	keys := slices.Sorted(maps.Keys(v.counts))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, *v.counts[k])
	}
	return b
}

// decode reads what appendBinary wrote into an empty v. Keys must be in
// strictly increasing order, within the bounds add keeps, with positive
// counts: anything else is corrupt.
func (v *LevelValues) decode(d *decoder) {
	v.more = d.uvarint(1) == 1
	n := d.uvarint(maxLevelKept)
	prev := ""
	for i := range n {
		k := string(d.bytes(d.uvarint(MaxLevelValueBytes + uint64(len("…")))))
		c := d.varint()
		if d.err != nil {
			return
		}
		if c <= 0 || i > 0 && k <= prev {
			d.err = errCorrupt
			return
		}
		v.insert(k, c)
		prev = k
	}
}

// The sketch's buckets lie between these indexes: those of 1 ns and of
// the largest int64 latency, the only values add gives it.
var sketchLo, sketchHi = sketchMapping.Index(1), sketchMapping.Index(math.MaxInt64)

// appendSketch writes a cell's sketch as its zero count, then the number
// of its non-empty buckets and each bucket in increasing index order: the
// index (the first as its distance from sketchLo, the others from the one
// before) and the count. Counts are whole numbers, since add and merge
// only add ones and sums of them; latencies are never negative.
func appendSketch(b []byte, s *ddsketch.DDSketch) ([]byte, error) {
	if !s.GetNegativeValueStore().IsEmpty() {
		return nil, errors.New("encode ddsketch: a negative latency")
	}
	type bin struct {
		index int
		count float64
	}
	var bins []bin
	s.GetPositiveValueStore().ForEach(func(index int, count float64) bool {
		if count != 0 {
			bins = append(bins, bin{index, count})
		}
		return false
	})
	slices.SortFunc(bins, func(x, y bin) int { return x.index - y.index })
	whole := func(c float64) (uint64, error) {
		if c < 0 || c != math.Trunc(c) || c > 1<<53 {
			return 0, fmt.Errorf("encode ddsketch: count %v is not a whole number of latencies", c)
		}
		return uint64(c), nil
	}
	z, err := whole(s.GetZeroCount())
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, z)
	b = binary.AppendUvarint(b, uint64(len(bins)))
	prev := sketchLo
	for i, x := range bins {
		if x.index < sketchLo || x.index > sketchHi || i > 0 && x.index <= prev {
			return nil, fmt.Errorf("encode ddsketch: bucket %d out of order or range", x.index)
		}
		c, err := whole(x.count)
		if err != nil {
			return nil, err
		}
		b = binary.AppendUvarint(b, uint64(x.index-prev))
		b = binary.AppendUvarint(b, c)
		prev = x.index
	}
	return b, nil
}

// decodeSketch reads what appendSketch wrote for a cell of n latencies.
// Buckets must be non-empty, in strictly increasing order within
// sketchLo and sketchHi, and hold with the zero count exactly n
// latencies: anything else is corrupt. The work and memory it takes are
// bounded by the bytes it reads and the mapping's bucket range.
func decodeSketch(d *decoder, n int64) *ddsketch.DDSketch {
	if n < 0 {
		d.err = errCorrupt
		return nil
	}
	left := uint64(n)
	z := d.uvarint(left)
	left -= z
	nb := d.uvarint(uint64(sketchHi - sketchLo + 1))
	if d.err != nil {
		return nil
	}
	s := newSketch()
	_ = s.AddWithCount(0, float64(z)) // the zero bucket: cannot fail
	pos := s.GetPositiveValueStore()
	idx := sketchLo
	for i := range nb {
		delta := d.uvarint(uint64(sketchHi - idx))
		c := d.uvarint(left)
		if d.err != nil {
			return nil
		}
		if c == 0 || i > 0 && delta == 0 {
			d.err = errCorrupt
			return nil
		}
		idx += int(delta)
		left -= c
		pos.AddWithCount(idx, float64(c))
	}
	if left != 0 {
		d.err = errCorrupt
		return nil
	}
	return s
}
