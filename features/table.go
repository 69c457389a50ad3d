package features

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

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
// are not, and may be shared between rows and fields: they are read-only);
// fn's error stops Rows and is returned.
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
	var cells, sorted []groupCell
	var order []cellOrder
	var b rowBuilder
	empty := newAcc()
	var other []string // OtherGroup's dimension values, shared by its rows
	if o.Dims > 0 {
		other = otherRow(o.Dims)
	}
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
			if pn := p.panes[start]; pn != nil {
				win = make(map[string]*acc, len(pn.groups))
			} else {
				win = map[string]*acc{}
			}
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
		cells = cells[:0]
		if o.Dense {
			emit := groups
			if _, ok := win[otherKey]; ok && !groupSet[otherKey] {
				emit = append(slices.Clone(groups), otherKey)
				slices.SortFunc(emit, compareGroups)
			}
			for _, g := range emit {
				a := win[g]
				if a == nil {
					if folded[g] {
						continue // its events are in OtherGroup in this window
					}
					a = empty
				}
				cells = append(cells, groupCell{key: g, a: a})
			}
		} else {
			order = order[:0]
			for g, a := range win {
				first, _ := nextGroupValue(g)
				order = append(order, cellOrder{prefix: orderPrefix(first), i: uint32(len(cells))})
				cells = append(cells, groupCell{first: first, key: g, a: a})
			}
			// Sorting the small prefixes moves less than sorting the cells.
			slices.SortFunc(order, func(x, y cellOrder) int { return compareOrder(x, y, cells) })
			sorted = sorted[:0]
			for _, o := range order {
				sorted = append(sorted, cells[o.i])
			}
			cells, sorted = sorted, cells
		}
		ws, we := time.Unix(0, start).UTC(), time.Unix(0, start+size).UTC()
		rows = rows[:0]
		for _, c := range cells {
			r := c.a.row(ws, we, &b)
			switch {
			case o.Dims > 0 && c.key == otherKey:
				r.Group = other
			case o.Dims > 0:
				r.Group = b.group(c.key, o.Dims)
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

// groupCell is one group's cell of a window, with its key's first value
// decoded once for sorting.
type groupCell struct {
	first, key string
	a          *acc
}

// cellOrder is a cell's place in a window's cells and its first value's
// orderPrefix.
type cellOrder struct {
	prefix uint64
	i      uint32
}

// orderPrefix is s's first 8 bytes, big-endian, zero-padded: of two
// strings whose prefixes differ, the one with the smaller prefix is the
// smaller (the first byte where they differ is one of both, or the end of
// the shorter), so most comparisons need neither string's bytes.
func orderPrefix(s string) uint64 {
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// compareOrder orders the cells x and y place as compareCells orders
// them, by their prefixes when those differ.
func compareOrder(x, y cellOrder, cells []groupCell) int {
	if x.prefix != y.prefix {
		if x.prefix < y.prefix {
			return -1
		}
		return 1
	}
	return compareCells(cells[x.i], cells[y.i])
}

// compareCells orders cells as compareGroups orders their keys, comparing
// the decoded first values before decoding anything else.
func compareCells(x, y groupCell) int {
	if c := strings.Compare(x.first, y.first); c != 0 {
		return c
	}
	return compareGroups(x.key, y.key)
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
