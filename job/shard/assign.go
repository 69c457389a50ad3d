package shard

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Parse reads "i/n": shard i (0-based) of n, with 0 <= i < n <= MaxShards.
func Parse(s string) (i, n int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !found || err1 != nil || err2 != nil || i < 0 || n < 1 || i >= n || n > MaxShards {
		return 0, 0, false
	}
	return i, n, true
}

// MaxShards is the most shards a run may have.
const MaxShards = 10000

// Unit is what Deal assigns: a unit of work's id and its size in bytes.
type Unit struct {
	ID   string
	Size int64
}

// Deal returns the shard (0 to n-1) of each unit, by index: units are
// dealt out by size, largest first (ties by id), each to the shard with
// the fewest bytes so far (ties to the lowest shard). It depends only on
// the listing, so every shard of a run computes the same assignment.
func Deal(units []Unit, n int) []int {
	order := make([]int, len(units))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(units[b].Size, units[a].Size); c != 0 {
			return c
		}
		return cmp.Compare(units[a].ID, units[b].ID)
	})
	// A min-heap of shards by (load, index): its top is the shard with the
	// fewest bytes, the lowest among equals.
	h := make([]load, n)
	for s := range h {
		h[s] = load{shard: s}
	}
	shard := make([]int, len(units))
	for _, k := range order {
		shard[k] = h[0].shard
		h[0].bytes += units[k].Size
		siftDown(h)
	}
	return shard
}

type load struct {
	bytes int64
	shard int
}

func (a load) less(b load) bool {
	return a.bytes < b.bytes || a.bytes == b.bytes && a.shard < b.shard
}

// siftDown restores the heap order of h after h[0] grew.
func siftDown(h []load) {
	i := 0
	for {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[l].less(h[m]) {
			m = l
		}
		if r < len(h) && h[r].less(h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// CheckCoverage reports the first unit of all that the shards' covered
// lists do not hold exactly once, or a covered unit not in all.
func CheckCoverage(all []string, covered [][]string) error {
	count := map[string]int{}
	for _, c := range covered {
		for _, u := range c {
			count[u]++
		}
	}
	for _, u := range all {
		if count[u] != 1 {
			return fmt.Errorf("input %s is covered by %d shards, want exactly 1", u, count[u])
		}
		delete(count, u)
	}
	for _, u := range slices.Sorted(maps.Keys(count)) {
		return fmt.Errorf("a shard covered %s, which is not in the listing", u)
	}
	return nil
}
