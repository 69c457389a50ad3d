package features

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestQuoteMasks checks the masks and the backslash and control-byte
// verdicts, by whichever implementation this machine uses and by the
// portable one, against a byte loop, for every length up to four blocks and
// bytes drawn mostly from '"', '\\', control bytes and their neighbours.
// In place, the bytes after the line (a newline, control bytes, quotes)
// never count.
func TestQuoteMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []byte{'"', '\\', '!', '#', '[', ']', 0, 0xa2, 0xdc, 'a', '\t', 0x1f, ' ', 0x7f}
	for n := range 257 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if rng.IntN(2) == 0 {
				for i := range b { // often no control byte at all
					if b[i] < 0x20 {
						b[i] = 'a'
					}
				}
			}
			want := make([]uint64, (n+63)/64)
			wantBS, wantCtrl := false, false
			for i, c := range b {
				if c == '"' {
					want[i/64] |= 1 << (i % 64)
				}
				wantBS = wantBS || c == '\\'
				wantCtrl = wantCtrl || c < 0x20
			}
			got := make([]uint64, len(want))
			if bs, ctrl := quoteMasks(b, got); bs != wantBS || ctrl != wantCtrl || !slices.Equal(got, want) {
				t.Fatalf("quoteMasks(%q) = %x, %v, %v; want %x, %v, %v", b, got, bs, ctrl, want, wantBS, wantCtrl)
			}
			// In place, with a newline, control bytes and quotes after the
			// line in its array: the same.
			inPlace := append(append(bytes.Clone(b), '\n', 0, '\t'), bytes.Repeat([]byte{'"', 'x', 1}, 40)...)[:n]
			clear(got)
			if bs, ctrl := quoteMasks(inPlace, got); bs != wantBS || ctrl != wantCtrl || !slices.Equal(got, want) {
				t.Fatalf("quoteMasks in place(%q) = %x, %v, %v; want %x, %v, %v", b, got, bs, ctrl, want, wantBS, wantCtrl)
			}
			if full := n / 64 * 64; full > 0 {
				gen := make([]uint64, full/64)
				bs, ctrl := quoteBlocksGeneric(b[:full], gen)
				if !slices.Equal(gen, want[:full/64]) || (bs != 0) != bytes.ContainsRune(b[:full], '\\') ||
					(ctrl != 0) != bytes.ContainsFunc(b[:full], func(r rune) bool { return r < 0x20 }) {
					t.Fatalf("quoteBlocksGeneric(%q) = %x, %x, %x; want %x", b[:full], gen, bs, ctrl, want[:full/64])
				}
				used := make([]uint64, full/64) // AVX2 on amd64
				bs2, ctrl2 := quoteBlocks(b[:full], used)
				if !slices.Equal(used, gen) || (bs2 != 0) != (bs != 0) || ctrl2 != ctrl {
					t.Fatalf("quoteBlocks(%q) = %x, %x, %x; generic %x, %x, %x", b[:full], used, bs2, ctrl2, gen, bs, ctrl)
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
