package features

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

var errTimestamp = errors.New("not an RFC 3339 timestamp")

// Timestamps outside this range do not fit in int64 nanoseconds.
var (
	minUnixNano = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	maxUnixNano = time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
)

// ParseRFC3339 parses an RFC 3339 timestamp, with or without fractional
// seconds and with a "Z" or numeric offset, and returns Unix nanoseconds.
// The common shapes are parsed without calling time.Parse.
func ParseRFC3339(b []byte) (int64, error) {
	if ns, ok := parseRFC3339Fast(b); ok {
		return ns, nil
	}
	return parseRFC3339Slow(b)
}

func parseRFC3339Slow(b []byte) (int64, error) {
	// b2s: time.Parse keeps nothing of its input in the parts we read, so
	// the line need not be copied into a string.
	t, err := time.Parse(time.RFC3339Nano, b2s(b))
	if err != nil {
		return 0, errTimestamp
	}
	return checkRange(t)
}

func checkRange(t time.Time) (int64, error) {
	if t.Year() < 1678 || t.Year() > 2261 {
		return 0, errTimestamp
	}
	ns := t.UnixNano()
	if ns < minUnixNano || ns >= maxUnixNano {
		return 0, errTimestamp
	}
	return ns, nil
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
	if err == nil && len(b) >= 20 {
		if y, ok1 := digits(b[0:4]); ok1 {
			m, _ := digits(b[5:7])
			d, _ := digits(b[8:10])
			h, _ := digits(b[11:13])
			copy(c.prefix[:], b[:13])
			c.secs = daysFromCivil(y, m, d)*86400 + int64(h*3600)
			c.ok = true
		}
	}
	return ns, err
}

// parseRFC3339Rest parses ":mm:ss[.f](Z|±hh:mm)" after a cached prefix.
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
	ns := (base+int64(minute*60+sec)-offset)*1_000_000_000 + frac
	if ns < minUnixNano || ns >= maxUnixNano {
		return 0, false
	}
	return ns, true
}

// parseFracZone parses "[.f{1,9}](Z|z|±hh:mm)" from b[i:] to its end.
func parseFracZone(b []byte, i int) (frac, offset int64, ok bool) {
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		scale := int64(100_000_000)
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start >= 9 {
				return 0, 0, false
			}
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

// parseRFC3339Fast handles YYYY-MM-DD[Tt ]hh:mm:ss[.f{1,9}](Z|z|±hh:mm).
// It reports false for anything else, and the caller falls back to time.Parse.
func parseRFC3339Fast(b []byte) (int64, bool) {
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
	if year < 1678 || year > 2261 || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	frac, offset, ok := parseFracZone(b, 19)
	if !ok {
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - offset
	ns := secs*1_000_000_000 + frac
	if ns < minUnixNano || ns >= maxUnixNano {
		return 0, false
	}
	return ns, true
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

// NginxLayout is nginx's $time_local, e.g. 17/May/2015:08:05:32 +0000.
const NginxLayout = "02/Jan/2006:15:04:05 -0700"

// ParseEpoch parses a decimal number (optionally with a fraction, no
// exponent) of seconds, milliseconds, microseconds or nanoseconds since the
// Unix epoch and returns nanoseconds, exactly. With TimeAuto the unit is
// guessed from the magnitude: below 1e11 seconds, 1e14 milliseconds, 1e17
// microseconds, else nanoseconds.
func ParseEpoch(b []byte, f TimeFormat) (int64, error) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	intPart, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		intPart, frac = b[:i], b[i+1:]
	}
	if len(intPart) == 0 || len(intPart) > 19 {
		return 0, errTimestamp
	}
	var n uint64
	for _, c := range intPart {
		if c < '0' || c > '9' {
			return 0, errTimestamp
		}
		n = n*10 + uint64(c-'0')
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, errTimestamp
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
	for i, s := 0, scale/10; i < len(frac) && s > 0; i, s = i+1, s/10 {
		ns += uint64(frac[i]-'0') * s
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

// ParseLayout parses b with a Go time layout; times without a zone are UTC.
func ParseLayout(b []byte, layout string) (int64, error) {
	t, err := time.Parse(layout, b2s(b)) // no copy: see parseRFC3339Slow
	if err != nil {
		return 0, errTimestamp
	}
	return checkRange(t)
}
