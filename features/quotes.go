package features

import (
	"encoding/binary"
)

// quoteMasks sets bit i%64 of m[i/64] exactly when b[i] is '"', for every
// byte of b, and reports whether b holds a backslash and whether it holds
// a control byte (below 0x20). m must have at least (len(b)+63)/64 words.
// The scanner finds each string's end as the next set bit instead of
// searching byte by byte.
//
// When b's capacity reaches past its last 64-byte block, that block is read
// in place (no copy); a backslash in the bytes after b then reports true as
// well, which only sends the line to the slower full path. Control bytes
// after b (the newline that ended it) are masked off, as quotes are.
func quoteMasks(b []byte, m []uint64) (backslash, ctrl bool) {
	full := len(b) / 64
	var bs, cs uint64
	if full > 0 {
		bs, cs = quoteBlocks(b[:full*64], m[:full])
	}
	if rest := b[full*64:]; len(rest) > 0 {
		var bs1, cs1 uint64
		if cap(rest) >= 64 {
			// The last block in place: the bytes after b in its array (the
			// next line, in a line reader's buffer) are read, and their
			// quotes masked off. A backslash among them sends the line to
			// the full path: slower, never wrong.
			bs1, cs1 = quoteBlocks(rest[:64], m[full:full+1])
		} else {
			var tail [64]byte // zero bytes are neither quotes nor backslashes
			copy(tail[:], rest)
			bs1, cs1 = quoteBlocks(tail[:], m[full:full+1])
		}
		m[full] &= 1<<len(rest) - 1
		bs |= bs1
		cs |= cs1 & (1<<len(rest) - 1)
	}
	return bs != 0, cs != 0
}

const (
	lo7   = 0x0101010101010101
	hi7   = 0x8080808080808080
	low7  = 0x7f7f7f7f7f7f7f7f
	top3  = 0xe0e0e0e0e0e0e0e0
	quote = '"' * lo7
	bslsh = '\\' * lo7
)

// quoteBlocksGeneric is quoteBlocks for any architecture: len(b) is a
// multiple of 64 and m has len(b)/64 words. It returns non-zero bs when b
// holds a backslash, and in ctrl bit i set when byte i of some block is a
// control byte (below 0x20).
func quoteBlocksGeneric(b []byte, m []uint64) (bs, ctrl uint64) {
	for w := range m {
		var word uint64
		for k := range 8 {
			x := binary.LittleEndian.Uint64(b[w*64+k*8:])
			word |= gatherHigh(zeroBytes(x^quote)) << (8 * k)
			bs |= zeroBytes(x ^ bslsh)
			ctrl |= gatherHigh(zeroBytes(x&top3)) << (8 * k)
		}
		m[w] = word
	}
	return bs, ctrl
}

// zeroBytes sets the high bit of each byte of x that is zero, and no other
// bit (exact, unlike the borrow trick, which may mark bytes after a zero).
func zeroBytes(x uint64) uint64 {
	y := (x & low7) + low7
	return ^(y | x | low7)
}

// gatherHigh packs the high bit of each byte of x into the low eight bits,
// byte i to bit i.
func gatherHigh(x uint64) uint64 {
	return ((x >> 7) * 0x0102040810204080) >> 56
}
