package features

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The CSV writer reads each Row field through its typed pointer: every
// column of every table spells a field, or refuses it, exactly as
// appendCSVValue does Column.Value's boxed value.
func TestCSVFieldMatchesValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	strs := []string{"", "a", "a,b", " x", `say "hi"`, "two\nlines", `\.`, "ключ"}
	floats := []float64{0, math.Copysign(0, -1), 1, 0.014, 1e-7, 1e21, math.NaN(), math.Inf(1)}
	f := func() *float64 {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			x := floats[rng.IntN(len(floats))]
			return &x
		}
		x := rng.NormFloat64() * 1e3
		return &x
	}
	all := Columns{Dims: []string{"a", "b"}, Status: true, Bytes: true, Distinct: true}
	for range 2000 {
		r := Row{
			WindowStart: time.Unix(rng.Int64N(1<<34), 0), WindowEnd: time.Unix(rng.Int64N(1<<34), int64(rng.IntN(2))*500),
			RequestCount: rng.Int64() >> rng.IntN(64), ErrorCount: -rng.Int64N(9), WarnCount: rng.Int64N(9),
			ErrorRate: f(), LatencyAvg: f(), LatencyMin: f(), LatencyMax: f(), LatencyStddev: f(),
			LatencyP50: f(), LatencyP90: f(), LatencyP95: f(), LatencyP99: f(),
			Status2xx: rng.Int64(), Status5xx: -1, BytesSum: rng.Int64N(1e12), DistinctCount: rng.Int64N(1e6),
		}
		r.Group = []string{strs[rng.IntN(len(strs))], strs[rng.IntN(len(strs))]}[:rng.IntN(3)]
		for _, c := range all.Schema() {
			want, werr := appendCSVValue([]byte("x,"), c.Value(&r))
			got, gerr := appendCSVField([]byte("x,"), c, &r)
			if string(got) != string(want) || (gerr == nil) != (werr == nil) {
				t.Fatalf("column %s of %+v: got %q, %v; want %q, %v", c.Name, r, got, gerr, want, werr)
			}
		}
	}
}

// compareCells, which compares the decoded first values before the keys,
// orders any keys as compareGroups does: one or more dimensions, values
// that are prefixes of each other, empty ones, and malformed keys.
func TestCompareCellsMatchesCompareGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	vals := []string{"", "a", "ab", "b", "a\x00", "\xff", "k1", "k10", "k2"}
	var keys []string
	for range 300 {
		n := 1 + rng.IntN(3)
		g := make([]string, n)
		for i := range g {
			g[i] = vals[rng.IntN(len(vals))]
		}
		k := EncodeGroup(g)
		if rng.IntN(20) == 0 {
			k = k[:rng.IntN(len(k)+1)] + "\x7f" // malformed
		}
		keys = append(keys, k)
	}
	for _, a := range keys {
		for _, b := range keys {
			fa, _ := nextGroupValue(a)
			fb, _ := nextGroupValue(b)
			got := compareCells(groupCell{first: fa, key: a}, groupCell{first: fb, key: b})
			if want := compareGroups(a, b); got != want {
				t.Fatalf("compareCells(%q, %q) = %d, compareGroups %d", a, b, got, want)
			}
		}
	}
}

// rowBuilder.group decodes a key as DecodeGroup does, whatever the number
// of dimensions and the keys before it in its block.
func TestRowBuilderGroupMatchesDecodeGroup(t *testing.T) {
	var b rowBuilder
	keys := []string{"", EncodeGroup([]string{"a"}), EncodeGroup([]string{"a", "bc", ""}), "\x05ab", EncodeGroup([]string{"x", "y"})}
	var got, want [][]string
	for i := range 3000 {
		k, dims := keys[i%len(keys)], 1+i%4
		got = append(got, b.group(k, dims))
		want = append(want, DecodeGroup(k, dims))
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d: group %q, DecodeGroup %q", i, got[i], want[i])
		}
	}
}
