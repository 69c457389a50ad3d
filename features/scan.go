package features

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

const (
	lo7   = 0x0101010101010101
	hi7   = 0x8080808080808080
	quote = '"' * lo7
	bslsh = '\\' * lo7
)

// stringEnd returns the index of the first '"' or '\\' at or after i, or
// len(b). It looks at eight bytes at a time.
func stringEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, s := x^quote, x^bslsh
		m := ((q-lo7)&^q | (s-lo7)&^s) & hi7
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return len(b)
}

// scanFlat reads a line that is one flat JSON object with unescaped keys
// and strings, filling d.vals for the configured top-level keys (the first
// occurrence of a key wins, as in the full parser). It reports false, and
// the caller uses the full parser, for anything outside that subset:
// escapes, nested objects or arrays, whitespace other than spaces and tabs,
// or anything that is not valid JSON.
func (d *Decoder) scanFlat(line []byte) bool {
	for i := range d.vals {
		d.vals[i] = rawVal{}
	}
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
		e := stringEnd(line, i+1)
		if e >= len(line) || line[e] != '"' {
			return false // an escape, or no closing quote
		}
		key := line[i+1 : e]
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
			e := stringEnd(line, i+1)
			if e >= len(line) || line[e] != '"' {
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
		if len(key) < len(d.slotsByLen) {
			for _, slot := range d.slotsByLen[len(key)] {
				if d.vals[slot].kind == valAbsent && d.flatKeys[slot] == string(key) {
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
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}
