package features

import (
	"bytes"
	"math/bits"
)

// The latency field is read as integer nanoseconds, exactly (never through
// a float), from:
//
//   - a JSON number, or a string holding one, in --latency-unit;
//   - a duration string with its units: Go's (5ms, 1m2.5s, 300us, 300µs,
//     1h, 2ns) and protobuf JSON's (0.005s, as GCP writes);
//   - a list as nginx writes $upstream_response_time: values separated by
//     ", " and upstream groups by " : " ("0.001, 0.002 : 0.003"). The
//     latency is the sum of the values (the time spent across every
//     upstream attempt); a "-" entry (no response) adds nothing.
//
// A value that is only "-" (nginx's "no upstream"), or a list of only "-",
// is missing, as if the field were absent. Each value, and each part of a
// Go duration, is rounded to the nearest nanosecond (halves up) before
// they are added. A negative number (other than -0) or a duration with a
// sign '-' is bad_latency, as is anything else, and a sum of 2^62 ns (146
// years) or more.

// maxLatency bounds latencies: they and their squares' sums stay exact.
const maxLatency = 1 << 62

// latencyPow returns the power of ten of a decoder's latency scale (see
// LatencyScale: 1, 1e3, 1e6 or 1e9 nanoseconds per unit).
func latencyPow(scale float64) int64 {
	switch scale {
	case 1:
		return 0
	case 1e3:
		return 3
	case 1e9:
		return 9
	}
	return 6
}

// parseLatency reads a present latency value: a number in units of
// 10^pow ns, or a string as described above. missing reports a value that
// is only "-" entries; ok is false for a bad latency.
func parseLatency(v rawVal, pow int64) (ns int64, missing, ok bool) {
	switch v.kind {
	case valNumber:
		ns, ok = parseLatencyNumber(v.b, pow)
		return ns, false, ok
	case valString:
		return parseLatencyText(v.b, pow)
	}
	return 0, false, false
}

// parseLatencyText reads a string latency: "-", a single value, or an
// nginx list.
func parseLatencyText(b []byte, pow int64) (ns int64, missing, ok bool) {
	if len(b) == 1 && b[0] == '-' {
		return 0, true, true
	}
	if !bytes.ContainsAny(b, ",:") {
		ns, ok = parseLatencyValue(b, pow)
		return ns, false, ok
	}
	var total int64
	seen := false // a value other than "-"
	for {
		i := bytes.IndexAny(b, ",:")
		entry := b
		if i >= 0 {
			entry = b[:i]
		}
		// ", " after a value, " : " between groups: a comma is followed
		// by a space, a colon has spaces on both sides. So "1,5" (a
		// decimal comma) and "1:30" (a clock) are not lists.
		if i >= 0 && b[i] == ':' {
			if len(entry) == 0 || entry[len(entry)-1] != ' ' {
				return 0, false, false
			}
		}
		entry = bytes.TrimRight(entry, " ")
		switch {
		case len(entry) == 0:
			return 0, false, false
		case len(entry) == 1 && entry[0] == '-':
		default:
			v, ok := parseLatencyValue(entry, pow)
			if !ok || v >= maxLatency-total {
				return 0, false, false
			}
			total += v
			seen = true
		}
		if i < 0 {
			return total, !seen, true
		}
		if b = b[i+1:]; len(b) == 0 || b[0] != ' ' {
			return 0, false, false
		}
		b = bytes.TrimLeft(b, " ")
	}
}

// parseLatencyValue reads one value of a string: a number in units of
// 10^pow ns, or a Go or protobuf-JSON duration.
func parseLatencyValue(b []byte, pow int64) (int64, bool) {
	if ns, ok := parseLatencyNumber(b, pow); ok {
		return ns, true
	}
	return parseDuration(b)
}

// parseLatencyNumber reads a decimal number -?(d+.?d*|.d+)([eE][+-]?d+)?
// (the forms fastfloat reads, as JSON numbers and nginx strings come) in
// units of 10^pow ns, rounded to the nearest nanosecond. A negative value
// is refused unless it is zero.
func parseLatencyNumber(b []byte, pow int64) (int64, bool) {
	if ns, ok, done := parsePlainDecimal(b, pow); done {
		return ns, ok
	}
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	intPart, frac, i := decimalParts(b)
	if len(intPart) == 0 && len(frac) == 0 {
		return 0, false
	}
	var exp int64
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		j := digitsEnd(b, i)
		if j == i {
			return 0, false
		}
		for _, c := range b[i:j] {
			// Beyond 2^40 the result is 0 or too large whatever the
			// digits (a line is far shorter than 2^40 bytes).
			exp = min(exp*10+int64(c-'0'), 1<<40)
		}
		if eneg {
			exp = -exp
		}
		i = j
	}
	if i != len(b) {
		return 0, false
	}
	if neg && (bytes.ContainsFunc(intPart, nonZero) || bytes.ContainsFunc(frac, nonZero)) {
		return 0, false
	}
	if len(intPart)+len(frac) <= 19 {
		return scaleShort(intPart, frac, exp+pow)
	}
	return scaleDecimal(intPart, frac, exp+pow, 1)
}

// parsePlainDecimal reads, in one pass, the commonest latency: digits with
// at most one '.', no sign or exponent, at most 19 digits (12.345). done is
// false for anything else, left to parseLatencyNumber's general path.
func parsePlainDecimal(b []byte, pow int64) (ns int64, ok, done bool) {
	var mant uint64
	digits, point := 0, -1
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
		case c == '.' && point < 0:
			point = i
		default:
			return 0, false, false
		}
	}
	if digits == 0 || digits > 19 {
		return 0, false, false
	}
	frac := 0
	if point >= 0 {
		frac = len(b) - point - 1
	}
	ns, ok = scaleMantissa(mant, pow-int64(frac))
	return ns, ok, true
}

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [20]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// scaleShort is scaleDecimal with m = 1 for at most 19 digits, which fit
// in a uint64 (a number with a sign or an exponent, 1.5e3): integer
// arithmetic with one multiplication or division.
func scaleShort(intPart, frac []byte, shift int64) (int64, bool) {
	var mant uint64
	for _, c := range intPart {
		mant = mant*10 + uint64(c-'0')
	}
	for _, c := range frac {
		mant = mant*10 + uint64(c-'0')
	}
	return scaleMantissa(mant, shift-int64(len(frac)))
}

// scaleMantissa returns mant × 10^shift rounded to the nearest integer,
// halves up, exactly; ok is false at maxLatency or above. mant is below
// 10^19 (at most 19 digits).
func scaleMantissa(mant uint64, shift int64) (int64, bool) {
	switch {
	case mant == 0:
		return 0, true
	case shift >= 0:
		if shift >= int64(len(pow10)) {
			return 0, false
		}
		hi, lo := bits.Mul64(mant, pow10[shift])
		if hi != 0 || lo >= maxLatency {
			return 0, false
		}
		return int64(lo), true
	case shift >= -19:
		d := pow10[-shift]
		q, r := mant/d, mant%d
		if r >= d-r { // r/d >= 1/2: halves up
			q++
		}
		return int64(q), q < maxLatency
	}
	return 0, true // below 10^19 × 10^-20: rounds to 0
}

// scaleDecimal returns intPart.frac × 10^shift × m rounded to the nearest
// integer, halves up, exactly; ok is false at maxLatency or above. intPart
// and frac are ASCII digits (either may be empty, leading zeros allowed);
// m is at most 36.
func scaleDecimal(intPart, frac []byte, shift int64, m uint64) (int64, bool) {
	nd := int64(len(intPart) + len(frac))
	digit := func(k int64) uint64 {
		if k < int64(len(intPart)) {
			return uint64(intPart[k] - '0')
		}
		if k < nd {
			return uint64(frac[k-int64(len(intPart))] - '0')
		}
		return 0
	}
	first := int64(0)
	for first < nd && digit(first) == 0 {
		first++
	}
	if first == nd {
		return 0, true
	}
	// The digits before the point, point of them, hold the integer part.
	point := int64(len(intPart)) + shift
	if point-first > 19 {
		return 0, false // at least 10^19
	}
	var ip uint64
	for k := first; k < point; k++ {
		ip = ip*10 + digit(k)
	}
	// floor(2m × F) for the fraction F after the point, carried in from
	// its last digit; the point may be before the first digit.
	var carry uint64
	if point < nd {
		for k := nd - 1; k >= max(point, 0); k-- {
			carry = (digit(k)*2*m + carry) / 10
		}
		for z := min(-point, 3); z > 0; z-- {
			carry /= 10 // a zero between the point and the digits
		}
	}
	// Round half up: floor(m×F + 1/2) = floor((floor(2m×F) + 1) / 2).
	hi, lo := bits.Mul64(ip, m)
	ns := lo + (carry+1)/2
	if hi != 0 || lo >= maxLatency || ns >= maxLatency {
		return 0, false
	}
	return int64(ns), true
}

// durationUnit is a Go duration unit: m × 10^pow nanoseconds.
type durationUnit struct {
	m   uint64
	pow int64
}

// goUnit returns the unit named u, as time.ParseDuration names them.
func goUnit(u []byte) (durationUnit, bool) {
	switch string(u) {
	case "ns":
		return durationUnit{1, 0}, true
	case "us", "µs", "μs": // U+00B5 micro sign, U+03BC Greek mu
		return durationUnit{1, 3}, true
	case "ms":
		return durationUnit{1, 6}, true
	case "s":
		return durationUnit{1, 9}, true
	case "m":
		return durationUnit{6, 10}, true
	case "h":
		return durationUnit{36, 11}, true
	}
	return durationUnit{}, false
}

// parseDuration reads a duration as Go's time.ParseDuration writes it —
// an optional '+' and one or more parts, each a decimal number (digits, a
// '.' and digits, at least one digit) and a unit (ns, us, µs, μs, ms, s, m,
// h) — which takes protobuf JSON's durations too ("0.005s"). Unlike
// ParseDuration, a fraction is exact: each part is rounded to the nearest
// nanosecond (halves up), not truncated through a float. A '-' sign and
// a sum of maxLatency or more are refused.
func parseDuration(b []byte) (int64, bool) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var total int64
	for len(b) > 0 {
		intPart, frac, i := decimalParts(b)
		if len(intPart) == 0 && len(frac) == 0 {
			return 0, false
		}
		j := i
		for j < len(b) && b[j] != '.' && (b[j] < '0' || b[j] > '9') {
			j++
		}
		u, ok := goUnit(b[i:j])
		if !ok {
			return 0, false
		}
		ns, ok := scaleDecimal(intPart, frac, u.pow, u.m)
		if !ok || ns >= maxLatency-total {
			return 0, false
		}
		total += ns
		b = b[j:]
	}
	return total, true
}

func nonZero(r rune) bool { return r != '0' }

// decimalParts splits the digits at the start of b and those after a '.'
// that follows them, and returns where they end.
func decimalParts(b []byte) (intPart, frac []byte, end int) {
	i := digitsEnd(b, 0)
	intPart = b[:i]
	if i < len(b) && b[i] == '.' {
		j := digitsEnd(b, i+1)
		frac = b[i+1 : j]
		i = j
	}
	return intPart, frac, i
}
