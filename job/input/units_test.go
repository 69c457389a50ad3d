package input

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// Splitting a stream into ranges and reading each with rangeReader yields
// every line exactly once, whatever the cut points: lines straddling a
// boundary, a cut right after a newline, multi-byte UTF-8 at the cut, a
// final line without a newline.
func TestRangeReaderPartitionsLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"ä", "日本語", "x", `{"a":1}`, "🙂", "", "longer-word-here"}
	for trial := range 300 {
		var sb strings.Builder
		for range 1 + rng.IntN(30) {
			for range rng.IntN(5) {
				sb.WriteString(words[rng.IntN(len(words))])
			}
			sb.WriteByte('\n')
		}
		text := sb.String()
		if rng.IntN(2) == 0 {
			text = strings.TrimSuffix(text, "\n") + "tail" // final line without newline
		}
		size := int64(len(text))
		n := 1 + rng.IntN(6)
		cuts := []int64{0}
		for range n - 1 {
			cuts = append(cuts, rng.Int64N(size+1))
		}
		cuts = append(cuts, size)
		slices.Sort(cuts)
		var got bytes.Buffer
		for i := 0; i+1 < len(cuts); i++ {
			off, end := cuts[i], cuts[i+1]
			if off == end {
				continue
			}
			start := max(off-1, 0)
			var r io.Reader = strings.NewReader(text[start:])
			if rng.IntN(2) == 0 {
				r = iotest.OneByteReader(r)
			}
			b, err := io.ReadAll(newRangeReader(r, off, end))
			if err != nil {
				t.Fatal(err)
			}
			got.Write(b)
		}
		if got.String() != text {
			t.Fatalf("trial %d cuts %v:\n got %q\nwant %q", trial, cuts, got.String(), text)
		}
	}
}

// Shards are balanced by bytes, cover every unit once, and do not depend on
// the listing order.
func TestAssignShardBalancedAndComplete(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var units []Unit
	var total int64
	for i := range 50 {
		size := rng.Int64N(1000) + 1
		if i < 3 {
			size = 5000 // a few big ones
		}
		total += size
		units = append(units, Unit{In: Object{Loc: settings.Location{Scheme: "s3", Bucket: "b"}, Info: storage.ObjectInfo{Key: string(rune('A'+i%26)) + strings.Repeat("x", i), Size: size}}, End: -1})
	}
	for _, n := range []int{1, 2, 3, 7} {
		seen := map[string]int{}
		var biggest, smallest int64 = 0, 1 << 62
		for i := range n {
			var load int64
			shuffled := append([]Unit(nil), units...)
			rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
			a, b := AssignShard(units, i, n), AssignShard(shuffled, i, n)
			if len(a) != len(b) {
				t.Fatalf("n=%d shard %d depends on listing order", n, i)
			}
			for j := range a {
				if a[j].ID() != b[j].ID() {
					t.Fatalf("n=%d shard %d depends on listing order", n, i)
				}
				seen[a[j].ID()]++
				load += a[j].Size()
			}
			biggest, smallest = max(biggest, load), min(smallest, load)
		}
		if len(seen) != len(units) {
			t.Errorf("n=%d: %d units covered, want %d", n, len(seen), len(units))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("n=%d: %s covered %d times", n, id, c)
			}
		}
		if n > 1 && biggest-smallest > 5000 {
			t.Errorf("n=%d: loads from %d to %d bytes (total %d): not balanced", n, smallest, biggest, total)
		}
	}
}

// Read as ranges, each up to where it stops (SplitRule.stop), an object
// gives the lines a whole read gives — a line over --max-line-bytes is
// too long either way, wherever the cuts fall and whatever the ranges do
// not read of it — and the ranges read its size plus at most a line each,
// also when it holds long lines or no newline at all.
func TestRangesReadLinesAsWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const maxLine = 24
	rule := SplitRule{maxLine: maxLine}
	lines := func(r io.Reader) []string {
		lr := features.NewLineReader(r, maxLine)
		var out []string
		for {
			l, err := lr.Next()
			switch {
			case err == io.EOF:
				return out
			case err == features.ErrLineTooLong:
				out = append(out, "<too long>")
			case err != nil:
				t.Fatal(err)
			default:
				out = append(out, string(l))
			}
		}
	}
	for trial := range 2000 {
		var sb strings.Builder
		for range rng.IntN(12) {
			switch rng.IntN(6) {
			case 0:
				sb.WriteString(strings.Repeat("L", maxLine+rng.IntN(3*maxLine))) // too long
			case 1:
				sb.WriteString("\xef\xbb\xbf" + strings.Repeat("b", rng.IntN(maxLine+6)) + "\r")
			default:
				sb.WriteString(strings.Repeat("s", rng.IntN(maxLine)))
			}
			if rng.IntN(8) != 0 {
				sb.WriteByte('\n')
			}
		}
		text := sb.String()
		size := int64(len(text))
		if size == 0 {
			continue
		}
		want := lines(strings.NewReader(text))
		n := 1 + rng.Int64N(min(size, 8))
		var got []string
		var read int64
		for i := range n {
			off, end := size*i/n, size*(i+1)/n
			start, stop := max(off-1, 0), rule.stop(end, size)
			src := &features.CountingReader{R: iotest.OneByteReader(strings.NewReader(text[start:stop]))}
			got = append(got, lines(newRangeReader(src, off, end))...)
			read += src.N
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d, %d ranges of %q:\n got %q\nwant %q", trial, n, text, got, want)
		}
		if bound := size + n*(1+maxLine+lineSlack); read > bound {
			t.Fatalf("trial %d: %d ranges read %d bytes of %d, over %d", trial, n, read, size, bound)
		}
	}
}

// dealShards with its heap deals exactly as the linear scan it replaced:
// largest first, each unit to the least loaded shard, the lowest among
// equals.
func TestDealShardsMatchesLinearScan(t *testing.T) {
	linear := func(units []Unit, n int) []int {
		order := slices.Clone(units)
		slices.SortFunc(order, func(a, b Unit) int {
			if c := cmp.Compare(b.Size(), a.Size()); c != 0 {
				return c
			}
			return cmp.Compare(a.ID(), b.ID())
		})
		load := make([]int64, n)
		byID := map[string]int{}
		for _, u := range order {
			best := 0
			for s := 1; s < n; s++ {
				if load[s] < load[best] {
					best = s
				}
			}
			load[best] += u.Size()
			byID[u.ID()] = best
		}
		out := make([]int, len(units))
		for k, u := range units {
			out[k] = byID[u.ID()]
		}
		return out
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		units := make([]Unit, 1+rng.IntN(40))
		for k := range units {
			size := int64(rng.IntN(5)) * 1000 // many ties
			if rng.IntN(3) == 0 {
				size = rng.Int64N(100000)
			}
			units[k] = Unit{In: Object{Loc: settings.Location{Scheme: "s3", Bucket: "b"}, Info: storage.ObjectInfo{Key: fmt.Sprintf("k%03d", k), Size: size}}, End: -1}
		}
		n := 1 + rng.IntN(12)
		if got, want := DealShards(units, n), linear(units, n); !slices.Equal(got, want) {
			t.Fatalf("trial %d, n %d: got %v, want %v", trial, n, got, want)
		}
	}
}
