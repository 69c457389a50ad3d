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
	"github.com/DataDog/sketches-go/ddsketch/store"
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
// written; more than 32 are the sketch that follows, as before).
const PartialFormatVersion = 8

var partialMagic = []byte("LSPARTv8")

// MarshalBinary encodes the partial: every pane, group and accumulator with
// its sketches, and the counts. Panes and groups are written in sorted
// order, so the same partial built the same way encodes to the same bytes.
func (p *Partial) MarshalBinary() ([]byte, error) {
	b := append([]byte(nil), partialMagic...)
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
	starts := slices.Sorted(maps.Keys(p.panes))
	b = binary.AppendUvarint(b, uint64(len(starts)))
	for _, s := range starts {
		pn := p.panes[s]
		b = binary.AppendVarint(b, s)
		keys := slices.Sorted(maps.Keys(pn.groups))
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			var err error
			if b, err = pn.groups[k].appendBinary(b); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (a *acc) appendBinary(b []byte) ([]byte, error) {
	for _, v := range []int64{a.count, a.errors, a.warns, a.latCount, a.min, a.max, a.bytes,
		a.status[0], a.status[1], a.status[2], a.status[3]} {
		b = binary.AppendVarint(b, v)
	}
	for _, v := range []uint64{a.sumLo, a.sumHi, a.sq[0], a.sq[1], a.sq[2]} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	var raw []int64
	if a.latCount > 2 && a.sketch == nil {
		raw = slices.Sorted(slices.Values(a.raw))
	}
	b = binary.AppendUvarint(b, uint64(len(raw)))
	for _, v := range raw {
		b = binary.AppendVarint(b, v)
	}
	var sk []byte
	if a.sketch != nil {
		a.sketch.Encode(&sk, true)
	}
	b = binary.AppendUvarint(b, uint64(len(sk)))
	b = append(b, sk...)
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
		pn := &pane{groups: make(map[string]*acc, ng)}
		for range ng {
			key := string(d.bytes(d.uvarint(uint64(len(d.b)))))
			a, err := decodeAcc(d)
			if err != nil {
				return nil, err
			}
			pn.groups[key] = a
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
	for _, f := range []*uint64{&a.sumLo, &a.sumHi, &a.sq[0], &a.sq[1], &a.sq[2]} {
		*f = d.u64()
	}
	if nr := d.uvarint(exactLatencies); nr > 0 {
		a.raw = make([]int64, nr)
		for i := range a.raw {
			a.raw[i] = d.varint()
		}
	}
	if sk := d.bytes(d.uvarint(uint64(len(d.b)))); len(sk) > 0 {
		if !sketchIndexesInRange(sk) {
			return nil, fmt.Errorf("%w: ddsketch: a bucket beyond any latency", errCorrupt)
		}
		s, err := ddsketch.DecodeDDSketch(sk, store.BufferedPaginatedStoreConstructor, sketchMapping)
		if err != nil {
			return nil, fmt.Errorf("%w: ddsketch: %v", errCorrupt, err)
		}
		a.sketch = s
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
		return len(a.raw) == 0 && a.sketch == nil
	case n > exactLatencies:
		return len(a.raw) == 0 && a.sketch != nil && a.min >= 0 && a.min <= a.max
	case a.sketch != nil || a.min < 0 || a.min > a.max || n == 1 && a.min != a.max:
		return false
	case n <= 2:
		return len(a.raw) == 0
	}
	if int64(len(a.raw)) != n {
		return false
	}
	lo, hi := slices.Min(a.raw), slices.Max(a.raw)
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

// sketchBins bounds the buckets a decoded sketch's stores may span: far
// more than the latencies of int64 nanoseconds need (about 2,200 at 1%).
const sketchBins = 1 << 13

// sketchIndexesInRange reports whether the encoded sketch's buckets lie
// where latencies can: the store decoded sketches go to allocates for any
// bucket index the bytes name, so a corrupt encoding naming a far one
// would exhaust memory. It decodes into two stores bounded at sketchBins,
// one keeping the lowest index as it is and one the highest, and checks
// both ends against the mapping's buckets of 1e-9 to 1e19. A decoder panic
// on the bytes is a corrupt sketch too.
func sketchIndexesInRange(sk []byte) (ok bool) {
	// The bounded stores panic on some far indexes (an overflow in their
	// range arithmetic): corrupt as well.
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	lo, hi := sketchMapping.Index(1e-9), sketchMapping.Index(1e19)
	for _, newStore := range []store.Provider{
		func() store.Store { return store.NewCollapsingLowestDenseStore(sketchBins) },
		func() store.Store { return store.NewCollapsingHighestDenseStore(sketchBins) },
	} {
		s, err := ddsketch.DecodeDDSketch(sk, newStore, sketchMapping)
		if err != nil {
			return true // the decode below reports it
		}
		for _, st := range []store.Store{s.GetPositiveValueStore(), s.GetNegativeValueStore()} {
			if st.IsEmpty() {
				continue
			}
			minI, err1 := st.MinIndex()
			maxI, err2 := st.MaxIndex()
			if err1 != nil || err2 != nil || minI < lo || maxI > hi {
				return false
			}
		}
	}
	return true
}
