package features

import (
	"math/rand/v2"
	"testing"
	"time"
)

// footprintWalk is Footprint as a visit of every cell, as it was before
// panes kept their running sums: the oracle those sums are held to.
func footprintWalk(p *Partial) int64 {
	n := int64(len(p.panes)) * 64
	for _, pn := range p.panes {
		for g, a := range pn.groups {
			n += cellBytes(g, a)
		}
	}
	return n
}

// Footprint, kept as cells change, equals a visit of every cell after any
// sequence of what changes a partial's cells: adding events (new cells,
// latencies turning from min and max to a list and to a sketch, distinct
// sketches made), folding beyond a group cap, merging (moved panes and
// merged cells in every latency state), taking ranges out, and decoding.
func TestFootprintMatchesEveryCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 1))
	check := func(what string, p *Partial) {
		t.Helper()
		if got, want := p.Footprint(), footprintWalk(p); got != want {
			t.Fatalf("%s: Footprint %d, every cell %d", what, got, want)
		}
	}
	for trial := range 60 {
		ngroups := []int{1, 3, 40, 500}[rng.IntN(4)]
		maxGroups := []int{0, 0, 2, 17}[rng.IntN(4)]
		keys := make([][]byte, ngroups)
		for i := range keys {
			keys[i] = []byte(EncodeGroup([]string{string(rune('a' + i%26)), string(make([]byte, rng.IntN(12)))}))
		}
		events := func(n int) []Event {
			evs := randomEvents(rng, n)
			for i := range evs {
				evs[i].Group = keys[rng.IntN(len(keys))]
				if rng.IntN(3) == 0 {
					evs[i].Distinct, evs[i].HasDistinct = rng.Uint64(), true
				}
			}
			return evs
		}
		var parts []*Partial
		for range 1 + rng.IntN(5) {
			p := NewPartial(5*time.Minute, maxGroups)
			for _, e := range events(rng.IntN(3000)) {
				p.Add(&e)
			}
			check("added", p)
			parts = append(parts, p)
		}
		acc := parts[0]
		for _, p := range parts[1:] {
			if rng.IntN(2) == 0 {
				b, err := p.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if p, err = UnmarshalPartial(b); err != nil {
					t.Fatal(err)
				}
				check("decoded", p)
			}
			before := acc.Footprint()
			grown, err := acc.MergeGrown(p)
			if err != nil {
				t.Fatal(err)
			}
			check("merged", acc)
			if acc.Footprint()-before != grown {
				t.Fatalf("trial %d: the merge grew the footprint from %d to %d, MergeGrown says by %d", trial, before, acc.Footprint(), grown)
			}
		}
		from := day + rng.Int64N(int64(2*time.Hour)) - int64(time.Hour)
		taken := acc.Take(from, from+rng.Int64N(int64(time.Hour)))
		check("taken", taken)
		check("left", acc)
		for _, e := range events(500) { // adding to a partial that was merged into
			acc.Add(&e)
		}
		check("added after merges", acc)
		if trial == 0 {
			check("with groups", acc.WithGroups(map[string]bool{"x": true, string(keys[0]): true}))
		}
	}
}
