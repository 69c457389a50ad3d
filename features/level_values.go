package features

import (
	"cmp"
	"maps"
	"slices"
	"strings"
)

// MaxLevelValues is how many unknown level values Top reports (the most
// frequent), and MaxLevelValueBytes how much of each is kept.
const (
	MaxLevelValues     = 32
	MaxLevelValueBytes = 64
)

// maxLevelKept is how many distinct unknown level values a LevelValues
// counts exactly: far more than a vocabulary has, so that Top's most
// frequent values are the most frequent of all unless a field holds
// thousands of distinct values.
const maxLevelKept = 1024

// LevelValues counts the values of unknown levels (see Counts): exactly, for
// the maxLevelKept byte-wise smallest distinct values seen. Keeping the K
// smallest makes merges exact and order-free: a value among the K smallest
// of a union is among the K smallest of every part holding it, so every
// part kept it with its exact count, whatever the split and the merge order.
// A value longer than MaxLevelValueBytes is kept as its first bytes (cut at
// a UTF-8 boundary) followed by "…", and counted as that text. The zero
// value is empty and ready to use.
type LevelValues struct {
	// counts by key; a pointer, so that counting a value kept already
	// allocates nothing (a map assignment with a []byte key would).
	counts map[string]*int64
	// more is set when more distinct values were seen than kept: then
	// and only then does the union of all values seen hold more than
	// maxLevelKept, whatever the merges.
	more bool
	max  string // the greatest key kept, when len(counts) == maxLevelKept
	buf  []byte // a truncated key being built
}

// LevelValue is one level value and the events that had it.
type LevelValue struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// add counts one event whose level had the text b.
func (v *LevelValues) add(b []byte) {
	if len(b) > MaxLevelValueBytes {
		n := MaxLevelValueBytes
		for n > 0 && b[n]&0xc0 == 0x80 {
			n-- // b[n] continues a UTF-8 sequence: cut before it
		}
		v.buf = append(append(v.buf[:0], b[:n]...), "…"...)
		b = v.buf
	}
	if c := v.counts[string(b)]; c != nil {
		*c++
		return
	}
	if len(v.counts) >= maxLevelKept && string(b) > v.max {
		v.more = true
		return
	}
	v.insert(string(b), 1)
}

// insert adds a key not kept yet and drops the greatest when over the cap.
func (v *LevelValues) insert(k string, n int64) {
	if v.counts == nil {
		v.counts = map[string]*int64{}
	}
	v.counts[k] = &n
	if len(v.counts) > maxLevelKept {
		v.more = true
		delete(v.counts, v.greatest())
	}
	if len(v.counts) == maxLevelKept {
		v.max = v.greatest()
	}
}

func (v *LevelValues) greatest() string {
	var g string
	first := true
	for k := range v.counts {
		if first || k > g {
			g, first = k, false
		}
	}
	return g
}

// merge adds o's values into v.
func (v *LevelValues) merge(o *LevelValues) {
	v.more = v.more || o.more
	for k, n := range o.counts {
		if c := v.counts[k]; c != nil {
			*c += *n
		} else if len(v.counts) >= maxLevelKept && k > v.max {
			v.more = true
		} else {
			v.insert(k, *n)
		}
	}
}

// Top returns the MaxLevelValues most frequent values kept, most frequent
// first (ties by value).
func (v *LevelValues) Top() []LevelValue {
	out := make([]LevelValue, 0, len(v.counts))
	for k, c := range v.counts {
		out = append(out, LevelValue{Value: k, Count: *c})
	}
	slices.SortFunc(out, func(a, b LevelValue) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	return out[:min(len(out), MaxLevelValues)]
}

// All reports whether Top holds every distinct value seen (at most
// MaxLevelValues were seen). When not, Top holds the most frequent of the
// maxLevelKept byte-wise smallest values, which are all the values unless
// more than maxLevelKept were seen.
func (v *LevelValues) All() bool { return !v.more && len(v.counts) <= MaxLevelValues }

// Equal reports whether v and o hold the same values and counts.
func (v *LevelValues) Equal(o *LevelValues) bool {
	return v.more == o.more && maps.EqualFunc(v.counts, o.counts, func(a, b *int64) bool { return *a == *b })
}
