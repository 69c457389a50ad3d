package features

import (
	"bytes"

	"github.com/valyala/fastjson"
)

// maxDepth is the deepest nesting of objects and arrays a record may have:
// deeper, it is not_json. JSON sets no limit, but every reader has one
// (encoding/json 10,000, fastjson 300, Python 1,000 by its recursion
// limit); this one is ours, below the full parser's, so that one rule,
// checked before any parser runs, decides on every path and in every step,
// and a hostile line cannot make a recursive reader use an unbounded stack.
// No log producer nests anywhere near it.
const maxDepth = 256

// validObject reports whether b is one JSON object by RFC 8259 — what
// encoding/json's Valid accepts, with '{' first — nested at most maxDepth
// deep. Strings are not checked for UTF-8, as json.Valid does not check
// them; the fields that need it check their own values.
func validObject(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i == len(b) || b[i] != '{' {
		return false
	}
	// The depth first: fastjson's validator recurses without a bound. And
	// raw control bytes in strings here: fastjson's validator misses those
	// before an escape ("\x00\\b").
	depth, ctrl := nestingDepth(b)
	return depth <= maxDepth && !ctrl && fastjson.ValidateBytes(b) == nil
}

// nestingDepth returns the deepest nesting of objects and arrays in b,
// counting brackets outside strings, and whether a string holds a raw
// control byte (below 0x20), which JSON does not allow. For text that is
// not JSON the depth is a bound that the validator, which finds strings
// the same way, respects.
func nestingDepth(b []byte) (deepest int, ctrl bool) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			e := stringEnd(b, i)
			if e < 0 {
				return deepest, ctrl
			}
			for _, c := range b[i+1 : e] {
				if c < 0x20 {
					ctrl = true
				}
			}
			i = e
		case '{', '[':
			if depth++; depth > deepest {
				deepest = depth
			}
		case '}', ']':
			depth--
		}
	}
	return deepest, ctrl
}

// stringEnd returns the index of the quote that ends the string whose
// opening quote is at b[i], or -1: the next quote after an even run of
// backslashes.
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		n := bytes.IndexByte(b[j:], '"')
		if n < 0 {
			return -1
		}
		q := j + n
		k := q
		for k > j && b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// skipWS returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// valueEnd returns the end of the JSON value starting at b[i], in text
// validObject accepted.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i) + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j)
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\n' {
		j++
	}
	return j
}

// lastMember returns the value of the last member named key in obj, the
// text of an object in a line validObject accepted, or nil. A key is
// compared by its decoded text, so "a", "\u0061" are one name; a key with
// an escape that decodes to no Unicode text (a lone surrogate) names no
// member. scratch holds decoded keys; its grown buffer is returned.
func lastMember(obj []byte, key string, scratch []byte) (val, grown []byte) {
	i := skipWS(obj, 1)
	if i >= len(obj) || obj[i] == '}' {
		return nil, scratch
	}
	for {
		ke := stringEnd(obj, i)
		raw := obj[i+1 : ke]
		i = skipWS(obj, skipWS(obj, ke+1)+1) // past the ':'
		ve := valueEnd(obj, i)
		if keyIs(raw, key, &scratch) {
			val = obj[i:ve]
		}
		i = skipWS(obj, ve)
		if i >= len(obj) || obj[i] != ',' {
			return val, scratch
		}
		i = skipWS(obj, i+1)
	}
}

// keyIs reports whether the key whose text between the quotes is raw
// decodes to key.
func keyIs(raw []byte, key string, scratch *[]byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == key
	}
	var ok bool
	*scratch, ok = appendUnescaped((*scratch)[:0], raw)
	return ok && string(*scratch) == key
}

// appendCompact appends the JSON text v without the whitespace outside its
// strings: what fastjson's MarshalTo writes for a value it parsed.
func appendCompact(dst, v []byte) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ' ', '\t', '\r', '\n':
		case '"':
			e := stringEnd(v, i)
			dst = append(dst, v[i:e+1]...)
			i = e
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// lastGet returns the value of the last member named key of o (a parsed
// record's object, as the pipeline's steps hold them), or nil: the rule
// lastMember follows on the line's text.
//
// fastjson's own Get returns the first member, and compares the keys as
// written or as decoded depending on how the key asked for is spelled.
// Visit decodes them all first, so every spelling of a name is that name;
// fastjson decodes an escape that names no character (a lone surrogate) as
// its own text, a difference from lastMember left to keys no producer
// writes.
func lastGet(o *fastjson.Object, key string) *fastjson.Value {
	var v *fastjson.Value
	o.Visit(func(k []byte, x *fastjson.Value) {
		if string(k) == key {
			v = x
		}
	})
	return v
}
