package features

import (
	"bytes"
	"unicode/utf8"
)

// A dimension (group-by) or distinct value is compared by its text: a
// string's decoded content (escapes decoded, so "caf\u00e9" is "café"), the
// canonical text of a number (appendCanonicalNumber), true or false.
// Strings and numbers with the same text are one value ("1.5" and 1.5).
// Missing and null are the empty string. An object or array has no such
// text (its JSON could be a string's content) and makes the line
// bad_dimension or bad_distinct, as does a string with an escape that is not
// JSON or decodes to no Unicode scalar value (a lone surrogate such as
// \ud800): kept as its text it would be the string "\\ud800".

// validDimension reports whether a group value can be written as a Parquet
// STRING and kept apart from the fold bucket: valid UTF-8, no U+0000 (raw
// or from a \u0000 escape), and not OtherGroup, which names the bucket of
// groups beyond the cap. A line with any other value is bad_dimension: it is
// not altered (U+FFFD would merge distinct values silently) and not merged
// into the fold bucket.
func validDimension(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 && string(b) != OtherGroup
}

// appendCanonicalNumber appends the canonical text of the JSON number b, so
// that numbers of equal value are one group: 1.5, 1.50, 15e-1 and 0.15e1 are
// all "1.5", 2e2 and 200 are "200", -0 is "0". The form is JavaScript's
// (plain digits for 1e-6 <= |x| < 1e21, else d.ddde±n), but exact: every
// significant digit is kept, nothing goes through a float. Text that is not
// a JSON number (the full parser is lenient: "1.", "+1", "nan") is kept as
// it is, as is a number whose exponent has more than 15 digits.
func appendCanonicalNumber(dst, b []byte) []byte {
	neg, intPart, frac, exp, ok := splitNumber(b)
	if !ok {
		return append(dst, b...)
	}
	nd := len(intPart) + len(frac)
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	first, last := 0, nd-1
	for first < nd && digit(first) == '0' {
		first++
	}
	if first == nd {
		return append(dst, '0')
	}
	for digit(last) == '0' {
		last--
	}
	n := last - first + 1
	// The value is 0.d(first)...d(last) × 10^p.
	p := int64(len(intPart)-first) + exp
	sig := func(dst []byte, from, to int) []byte {
		for k := first + from; k < first+to; k++ {
			dst = append(dst, digit(k))
		}
		return dst
	}
	if neg {
		dst = append(dst, '-')
	}
	switch {
	case p > 0 && p <= 21:
		if int64(n) <= p {
			dst = sig(dst, 0, n)
			for range p - int64(n) {
				dst = append(dst, '0')
			}
			return dst
		}
		dst = sig(dst, 0, int(p))
		dst = append(dst, '.')
		return sig(dst, int(p), n)
	case p > -6 && p <= 0:
		dst = append(dst, "0."...)
		for range -p {
			dst = append(dst, '0')
		}
		return sig(dst, 0, n)
	}
	dst = sig(dst, 0, 1)
	if n > 1 {
		dst = append(dst, '.')
		dst = sig(dst, 1, n)
	}
	e := p - 1
	dst = append(dst, 'e', '+')
	if e < 0 {
		dst[len(dst)-1] = '-'
		e = -e
	}
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + e%10)
		if e /= 10; e == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// splitNumber splits a JSON number -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)? into
// its parts; ok is false for anything else or an exponent of more than 15
// digits (leading zeros aside).
func splitNumber(b []byte) (neg bool, intPart, frac []byte, exp int64, ok bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	i = digitsEnd(b, i)
	intPart = b[start:i]
	if len(intPart) == 0 || len(intPart) > 1 && intPart[0] == '0' {
		return false, nil, nil, 0, false
	}
	if i < len(b) && b[i] == '.' {
		start = i + 1
		i = digitsEnd(b, start)
		if frac = b[start:i]; len(frac) == 0 {
			return false, nil, nil, 0, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		start = i
		if i = digitsEnd(b, i); i == start {
			return false, nil, nil, 0, false
		}
		ed := bytes.TrimLeft(b[start:i], "0")
		if len(ed) > 15 {
			return false, nil, nil, 0, false
		}
		for _, c := range ed {
			exp = exp*10 + int64(c-'0')
		}
		if eneg {
			exp = -exp
		}
	}
	return neg, intPart, frac, exp, i == len(b)
}
