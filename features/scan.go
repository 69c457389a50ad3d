package features

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// scanFlat reads a line that is one flat JSON object with unescaped keys
// and strings, filling d.vals for the configured top-level keys (the last
// occurrence of a key wins, as on the full path). It reports false, and
// the caller uses the full path, for anything outside that subset:
// escapes, control bytes anywhere (raw in a string they are not JSON; a tab
// between values is, and is left to the full path too), nested objects or
// arrays, whitespace other than spaces, or anything that is not valid JSON.
func (d *Decoder) scanFlat(line []byte) bool {
	for i := range d.vals {
		d.vals[i] = rawVal{}
	}
	nw := (len(line) + 63) / 64
	if nw > len(d.quotes) {
		d.quotes = make([]uint64, nw)
	}
	m := d.quotes[:nw]
	if backslash, ctrl := quoteMasks(line, m); backslash || ctrl {
		return false // escapes and control bytes are left to the full path
	}
	// The quotes are taken in order from the masks (w, x: the current
	// word and its quotes not yet taken), so finding a string's end does
	// not wait on the previous field's end: every valid line's next quote
	// is the one its grammar expects next.
	w, x := -1, uint64(0)
	var q int
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return skipSpace(line, i+1) == len(line)
	}
	for {
		// key
		if i >= len(line) || line[i] != '"' {
			return false
		}
		if q, w, x = popQuote(m, w, x); q != i {
			return false // a quote outside a string
		}
		e := 0
		if e, w, x = popQuote(m, w, x); e < 0 {
			return false // no closing quote
		}
		ks := i + 1 // the key is line[ks:e]
		if e+2 < len(line) && line[e+1] == ':' && line[e+2] > ' ' {
			i = e + 2 // the common `"key":value`
		} else {
			i = skipSpace(line, e+1)
			if i >= len(line) || line[i] != ':' {
				return false
			}
			i = skipSpace(line, i+1)
		}
		if i >= len(line) {
			return false
		}
		// value
		var v rawVal
		switch c := line[i]; {
		case c == '"':
			if q, w, x = popQuote(m, w, x); q != i {
				return false
			}
			e := 0
			if e, w, x = popQuote(m, w, x); e < 0 {
				return false
			}
			v = rawVal{kind: valString, b: line[i+1 : e]}
			i = e + 1
		case c == '-' || (c >= '0' && c <= '9'):
			end := scanNumber(line, i)
			if end < 0 {
				return false
			}
			v = rawVal{kind: valNumber, b: line[i:end]}
			i = end
		case c == 't' && bytes.HasPrefix(line[i:], []byte("true")):
			v = rawVal{kind: valBool, b: line[i : i+4]}
			i += 4
		case c == 'f' && bytes.HasPrefix(line[i:], []byte("false")):
			v = rawVal{kind: valBool, b: line[i : i+5]}
			i += 5
		case c == 'n' && bytes.HasPrefix(line[i:], []byte("null")):
			v = rawVal{kind: valNull}
			i += 4
		default:
			return false // nested value or invalid
		}
		if n := keyLenClass(e - ks); d.keyLens>>n&1 != 0 {
			for _, slot := range d.slotsByLen[n] {
				if d.flatKeys[slot] == string(line[ks:e]) {
					d.vals[slot] = v
				}
			}
		}
		if i+1 < len(line) && line[i] == ',' && line[i+1] == '"' {
			i++ // the common `,"next"`
			continue
		}
		i = skipSpace(line, i)
		if i >= len(line) {
			return false
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return skipSpace(line, i+1) == len(line)
		default:
			return false
		}
	}
}

// popQuote takes the next quote from the masks m: w is the word being
// read and x its quotes not yet taken. It returns the quote's position, or
// -1 when there is none, and the state after it.
func popQuote(m []uint64, w int, x uint64) (int, int, uint64) {
	for x == 0 {
		w++
		if w >= len(m) {
			return -1, w, 0
		}
		x = m[w]
	}
	return w<<6 + bits.TrailingZeros64(x), w, x & (x - 1)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return i
}

// scanNumber returns the end of the JSON number starting at i, or -1.
func scanNumber(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digitsEnd(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		start := i + 1
		if i = digitsEnd(b, start); i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digitsEnd(b, i); i == start {
			return -1
		}
	}
	return i
}

// digitsEnd returns the end of the run of ASCII digits starting at i,
// eight bytes at a time while eight remain.
func digitsEnd(b []byte, i int) int {
	for i+8 <= len(b) {
		if n := leadingDigits(binary.LittleEndian.Uint64(b[i:])); n < 8 {
			return i + n
		}
		i += 8
	}
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// leadingDigits returns how many of x's bytes, from the lowest, are ASCII
// digits before the first that is not (8 when all are). A digit is 0x30
// to 0x39: after x ^ 0x30 its high nibble is 0, and adding 6 keeps it 0.
// Any other byte has a high nibble set by one of the two; a carry out of
// it only reaches bytes after it, which do not count.
func leadingDigits(x uint64) int {
	const (
		zeros = 0x3030303030303030
		six   = 0x0606060606060606
		high  = 0xf0f0f0f0f0f0f0f0
	)
	t := x ^ zeros
	nd := (t | (t + six)) & high
	return bits.TrailingZeros64(nd) >> 3
}
