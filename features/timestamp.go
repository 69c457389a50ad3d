package features

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

var errTimestamp = errors.New("not a timestamp in the configured format")

// Event times must lie in [1678-01-01T00:00:00Z, 2262-01-01T00:00:00Z): the
// whole years inside int64 nanoseconds (which end on 2262-04-11). A time
// outside is bad_timestamp on every path; nothing wraps around.
const (
	minUnixSec  = -9214560000 // 1678-01-01T00:00:00Z
	maxUnixSec  = 9214646400  // 2262-01-01T00:00:00Z
	minUnixNano = minUnixSec * 1_000_000_000
	maxUnixNano = maxUnixSec * 1_000_000_000
)

// fromUnix returns the nanoseconds of secs+frac, or false when the time is
// outside the supported range. frac is in [0, 1e9).
func fromUnix(secs, frac int64) (int64, bool) {
	if secs < minUnixSec || secs >= maxUnixSec {
		return 0, false
	}
	return secs*1_000_000_000 + frac, true
}

// leapNanos is where a leap second goes: the last nanosecond of the second
// before it, so 23:59:60.x stays in its minute, window and UTC date and
// after every 23:59:59.x. It is accepted only where a leap second can be:
// at 23:59:60 UTC (any date; the IERS list is not consulted). secs is the
// Unix second the :60 was read as if it were :59.
func leapNanos(secs int64) (int64, bool) {
	if (secs%86400+86400)%86400 != 86399 {
		return 0, false
	}
	return fromUnix(secs, 999_999_999)
}

// ParseRFC3339 parses an RFC 3339 timestamp and returns Unix nanoseconds:
// YYYY-MM-DD, "T" (or "t" or a space), hh:mm:ss, an optional fraction of any
// length (truncated to nanoseconds), and "Z" (or "z") or an offset ±hh:mm
// with hh at most 23 and mm at most 59. A leap second (:60) is accepted at
// 23:59:60 UTC and read as 23:59:59.999999999. Nothing else is accepted:
// there is no fallback to time.Parse, whose RFC 3339 layout also takes
// one-digit hours and offsets such as +24:00 or +23:60.
func ParseRFC3339(b []byte) (int64, error) {
	if ns, ok := parseRFC3339(b); ok {
		return ns, nil
	}
	return 0, errTimestamp
}

// timeCache remembers the last timestamp's date and hour, which consecutive
// lines of a log nearly always share, so only minutes, seconds, fraction and
// offset are parsed again.
type timeCache struct {
	prefix [13]byte // "YYYY-MM-DDThh"
	secs   int64    // Unix seconds of prefix:00:00 UTC, before the offset
	ok     bool
}

// parse is ParseRFC3339 with the cache.
func (c *timeCache) parse(b []byte) (int64, error) {
	if c.ok && len(b) >= 20 && string(b[:13]) == string(c.prefix[:]) {
		if ns, ok := parseRFC3339Rest(b, c.secs); ok {
			return ns, nil
		}
	}
	ns, err := ParseRFC3339(b)
	if err == nil {
		y, _ := digits(b[0:4])
		m, _ := digits(b[5:7])
		d, _ := digits(b[8:10])
		h, _ := digits(b[11:13])
		copy(c.prefix[:], b[:13])
		c.secs = daysFromCivil(y, m, d)*86400 + int64(h*3600)
		c.ok = true
	}
	return ns, err
}

// parseRFC3339Rest parses ":mm:ss[.f](Z|±hh:mm)" after a cached prefix. A
// leap second is left to the full parse.
func parseRFC3339Rest(b []byte, base int64) (int64, bool) {
	minute, ok1 := digits(b[14:16])
	sec, ok2 := digits(b[17:19])
	if !ok1 || !ok2 || b[13] != ':' || b[16] != ':' || minute > 59 || sec > 59 {
		return 0, false
	}
	frac, offset, ok := parseFracZone(b, 19)
	if !ok {
		return 0, false
	}
	return fromUnix(base+int64(minute*60+sec)-offset, frac)
}

// parseFracZone parses "[.f+](Z|z|±hh:mm)" from b[i:] to its end. Fraction
// digits past the ninth are checked and dropped (truncation).
func parseFracZone(b []byte, i int) (frac, offset int64, ok bool) {
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		scale := int64(100_000_000)
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			frac += int64(b[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, 0, false
		}
	}
	if i >= len(b) {
		return 0, 0, false
	}
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, 0, false
		}
		oh, okh := digits(b[i+1 : i+3])
		om, okm := digits(b[i+4 : i+6])
		if !okh || !okm || oh > 23 || om > 59 {
			return 0, 0, false
		}
		offset = int64(oh*3600 + om*60)
		if b[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, 0, false
	}
	return frac, offset, i == len(b)
}

// parseRFC3339 parses YYYY-MM-DD[Tt ]hh:mm:ss[.f](Z|z|±hh:mm); see
// ParseRFC3339.
func parseRFC3339(b []byte) (int64, bool) {
	if len(b) < 20 {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') ||
		b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	frac, offset, ok := parseFracZone(b, 19)
	if !ok {
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+min(sec, 59)) - offset
	if sec == 60 {
		return leapNanos(secs)
	}
	return fromUnix(secs, frac)
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// TimeFormat says how event times are written.
type TimeFormat uint8

// Time formats. TimeAuto accepts RFC 3339 strings, epoch numbers or numeric
// strings (unit guessed from the magnitude) and nginx $time_local.
const (
	TimeAuto TimeFormat = iota
	TimeRFC3339
	TimeEpochS
	TimeEpochMS
	TimeEpochUS
	TimeEpochNS
	TimeNginx
	TimeLayout
)

var timeFormatNames = map[string]TimeFormat{
	"auto": TimeAuto, "rfc3339": TimeRFC3339, "epoch_s": TimeEpochS, "epoch_ms": TimeEpochMS,
	"epoch_us": TimeEpochUS, "epoch_ns": TimeEpochNS, "nginx": TimeNginx, "layout": TimeLayout,
}

// ParseTimeFormat parses auto, rfc3339, epoch_s, epoch_ms, epoch_us,
// epoch_ns, nginx or layout.
func ParseTimeFormat(s string) (TimeFormat, error) {
	if f, ok := timeFormatNames[s]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("%q: want auto, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns, nginx or layout", s)
}

// NginxLayout is nginx's $time_local, e.g. 17/May/2015:08:05:32 +0000, as
// a Go layout. [ParseNginx] reads it without the time package.
const NginxLayout = "02/Jan/2006:15:04:05 -0700"

// ParseEpoch parses a decimal number of seconds, milliseconds, microseconds
// or nanoseconds since the Unix epoch and returns nanoseconds, exactly: the
// number may have a fraction and an exponent ("1.7625960001e9"), which are
// applied to its decimal digits, never through a float; digits below a
// nanosecond are dropped (truncation toward zero). With TimeAuto the unit is
// guessed from the magnitude of the integer part: below 1e11 seconds, 1e14
// milliseconds, 1e17 microseconds, else nanoseconds.
func ParseEpoch(b []byte, f TimeFormat) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	mant, exp := b, int64(0)
	if i := bytes.IndexAny(b, "eE"); i >= 0 {
		var ok bool
		if exp, ok = parseExponent(b[i+1:]); !ok {
			return 0, errTimestamp
		}
		mant = b[:i]
	}
	intPart, frac := mant, []byte(nil)
	if i := bytes.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	if len(intPart) == 0 || !allDigits(intPart) || !allDigits(frac) {
		return 0, errTimestamp
	}
	// The digits are intPart then frac; the decimal point falls after the
	// first point of them (point may be negative or past the end).
	digit := func(k int64) uint64 {
		switch {
		case k < 0 || k >= int64(len(intPart)+len(frac)):
			return 0
		case k < int64(len(intPart)):
			return uint64(intPart[k] - '0')
		}
		return uint64(frac[k-int64(len(intPart))] - '0')
	}
	nd := int64(len(intPart) + len(frac))
	point := int64(len(intPart)) + exp
	var n uint64 // the integer part
	for k := int64(0); k < min(point, nd); k++ {
		if n > (math.MaxUint64-9)/10 {
			return 0, errTimestamp
		}
		n = n*10 + digit(k)
	}
	if n != 0 {
		for k := nd; k < point; k++ { // zeros after the last digit
			if n > math.MaxUint64/10 {
				return 0, errTimestamp
			}
			n *= 10
		}
	}
	if f == TimeAuto {
		switch {
		case n < 1e11:
			f = TimeEpochS
		case n < 1e14:
			f = TimeEpochMS
		case n < 1e17:
			f = TimeEpochUS
		default:
			f = TimeEpochNS
		}
	}
	var scale uint64
	switch f {
	case TimeEpochS:
		scale = 1e9
	case TimeEpochMS:
		scale = 1e6
	case TimeEpochUS:
		scale = 1e3
	case TimeEpochNS:
		scale = 1
	default:
		return 0, errTimestamp
	}
	if n > uint64(maxUnixNano)/scale {
		return 0, errTimestamp
	}
	ns := n * scale
	// The fraction, truncated to whole nanoseconds.
	for k, s := point, scale/10; s > 0 && k < nd; k, s = k+1, s/10 {
		ns += digit(k) * s
	}
	v := int64(ns)
	if neg {
		v = -v
	}
	if v < minUnixNano || v >= maxUnixNano {
		return 0, errTimestamp
	}
	return v, nil
}

// parseExponent parses [+-]digits. Magnitudes beyond 1e9 are clamped: with
// any non-zero digit they overflow or vanish below a nanosecond either way.
func parseExponent(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || !allDigits(b) {
		return 0, false
	}
	var e int64
	for _, c := range b {
		e = min(e*10+int64(c-'0'), 1e9)
	}
	if neg {
		e = -e
	}
	return e, true
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// ParseNginx parses nginx's $time_local, dd/Mon/yyyy:hh:mm:ss ±hhmm (the
// month name in any case, an optional fraction after the seconds), and
// returns Unix nanoseconds. The offset's hours are at most 23 and its minutes
// at most 59; a leap second is read as in ParseRFC3339.
func ParseNginx(b []byte) (int64, error) {
	if ns, ok := parseNginx(b); ok {
		return ns, nil
	}
	return 0, errTimestamp
}

func parseNginx(b []byte) (int64, bool) {
	if len(b) < 26 {
		return 0, false
	}
	day, ok1 := digits(b[0:2])
	year, ok2 := digits(b[7:11])
	hour, ok3 := digits(b[12:14])
	minute, ok4 := digits(b[15:17])
	sec, ok5 := digits(b[18:20])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' {
		return 0, false
	}
	month := 0
	for i, name := range monthNames {
		if b[3]|0x20 == name[0] && b[4]|0x20 == name[1] && b[5]|0x20 == name[2] {
			month = i + 1
			break
		}
	}
	if month == 0 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	i := 20
	var frac int64
	if b[i] == '.' || b[i] == ',' {
		i++
		start := i
		for scale := int64(100_000_000); i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			frac += int64(b[i]-'0') * scale
			scale /= 10
		}
		if i == start {
			return 0, false
		}
	}
	if len(b)-i != 6 || b[i] != ' ' || (b[i+1] != '+' && b[i+1] != '-') {
		return 0, false
	}
	oh, okh := digits(b[i+2 : i+4])
	om, okm := digits(b[i+4 : i+6])
	if !okh || !okm || oh > 23 || om > 59 {
		return 0, false
	}
	offset := int64(oh*3600 + om*60)
	if b[i+1] == '-' {
		offset = -offset
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+min(sec, 59)) - offset
	if sec == 60 {
		return leapNanos(secs)
	}
	return fromUnix(secs, frac)
}
