package features

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

// quoteBlocksAVX2 fills out[0:n] with the quote masks of the n 64-byte
// blocks at p; it returns bs non-zero when any of them holds a backslash,
// and ctrl with bit i set when byte i of any of them is a control byte.
//
//go:noescape
func quoteBlocksAVX2(p *byte, n int, out *uint64) (bs, ctrl uint64)

func quoteBlocks(b []byte, m []uint64) (bs, ctrl uint64) {
	if hasAVX2 {
		return quoteBlocksAVX2(&b[0], len(m), &m[0])
	}
	return quoteBlocksGeneric(b, m)
}
