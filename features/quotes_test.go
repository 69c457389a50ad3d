package features

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQuoteMasks checks the masks, by whichever implementation this
// machine uses and by the portable one, against a byte loop, for every
// length up to four blocks and bytes drawn mostly from '"', '\\' and their
// neighbours.
func TestQuoteMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []byte{'"', '\\', '!', '#', '[', ']', 0, 0xa2, 0xdc, 'a'}
	for n := range 257 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			want := make([]uint64, (n+63)/64)
			wantBS := false
			for i, c := range b {
				if c == '"' {
					want[i/64] |= 1 << (i % 64)
				}
				wantBS = wantBS || c == '\\'
			}
			got := make([]uint64, len(want))
			if bs := quoteMasks(b, got); bs != wantBS || !slices.Equal(got, want) {
				t.Fatalf("quoteMasks(%q) = %x, %v; want %x, %v", b, got, bs, want, wantBS)
			}
			// In place, with quotes after the line in its array: the same.
			inPlace := append(bytes.Clone(b), bytes.Repeat([]byte{'"', 'x'}, 40)...)[:n]
			clear(got)
			if bs := quoteMasks(inPlace, got); bs != wantBS || !slices.Equal(got, want) {
				t.Fatalf("quoteMasks in place(%q) = %x, %v; want %x, %v", b, got, bs, want, wantBS)
			}
			if full := n / 64 * 64; full > 0 {
				gen := make([]uint64, full/64)
				bs := quoteBlocksGeneric(b[:full], gen) != 0
				if !slices.Equal(gen, want[:full/64]) || bs != bytes.ContainsRune(b[:full], '\\') {
					t.Fatalf("quoteBlocksGeneric(%q) = %x, %v; want %x", b[:full], gen, bs, want[:full/64])
				}
			}
		}
	}
}

func BenchmarkQuoteMasks(b *testing.B) {
	line := bytes.TrimSpace(benchLines(1))
	m := make([]uint64, 8)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		quoteMasks(line, m)
	}
}
