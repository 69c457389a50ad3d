package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Level is the severity class of an event.
type Level uint8

// Severity classes. Only errors and warnings are counted separately;
// LevelOther is a known non-error level (or no level), LevelUnknown a
// present level that is neither a known error, warning nor non-error: a
// non-error for the features, counted in Counts.UnknownLevel (see
// classifyLevel).
const (
	LevelOther Level = iota
	LevelWarn
	LevelError
	LevelUnknown
)

// Event is the part of a log line the features are computed from.
type Event struct {
	Time        int64 // Unix nanoseconds, UTC
	Latency     int64 // nanoseconds; meaningful only when HasLatency
	Bytes       int64 // meaningful only when HasBytes
	Distinct    uint64
	Status      int32 // 0 when absent
	HasLatency  bool
	HasBytes    bool
	HasDistinct bool
	Level       Level
	// LevelText is the level's text when Level is LevelUnknown (a string's
	// content, a number's literal, true, false, or the JSON of an object
	// or array; U+FFFD for a string whose escapes decode to no text). It
	// aliases the line or the decoder's buffer and is valid until the next
	// Decode.
	LevelText []byte
	// Present has bit i set when field i of the spec (see
	// Counts.Presence) had a value in the line: neither missing nor null.
	Present uint64
	// Group is the encoded dimension values (see Spec.GroupBy); it aliases
	// the decoder's buffer and is valid until the next Decode.
	Group []byte
}

// Fields names the JSON fields a [Decoder] reads. A name with dots is a path
// into nested objects ("http.duration"). An empty name disables the field.
type Fields struct {
	Timestamp string
	Level     string
	Latency   string
	Status    string
	Bytes     string
	Distinct  string
}

// DefaultFields are the field names of the canonical log line
// {"timestamp":"...","level":"INFO","latency_ms":120}.
var DefaultFields = Fields{Timestamp: "timestamp", Level: "level", Latency: "latency_ms"}

// Spec says how to read lines and what to compute from them.
type Spec struct {
	Fields     Fields
	TimeFormat TimeFormat
	TimeLayout string // Go layout, used by TimeLayout
	// TimeZone is the IANA zone of TimeLayout's zone abbreviations and of
	// its wall times without a zone; "" means none (UTC). See Layout.
	TimeZone string
	// LatencyUnit is the unit of the latency field's numbers: "ms"
	// (default), "us", "ns" or "s". Output is always milliseconds.
	LatencyUnit string
	// Levels classifies level values beyond the built-in names (see
	// ParseLevelMap); nil means the built-in names alone.
	Levels *LevelMap
	// ErrorStatus, when > 0 and a status field is configured, makes a line
	// with status >= ErrorStatus an error when it carries no level.
	ErrorStatus int
	// GroupBy lists dimension fields, at most MaxGroupBy; each (window,
	// group) is one row.
	GroupBy []string
	// MaxDimension, when > 0, is the longest dimension value in bytes (its
	// decoded text); a line with a longer one is ReasonBadDimension. A run's
	// memory grows with its groups' keys: this bounds them.
	MaxDimension int
	// Pipeline turns each object's bytes into events; the zero value reads
	// one JSON object per line.
	Pipeline Pipeline
}

// DefaultSpec reads the canonical log line.
func DefaultSpec() Spec {
	return Spec{Fields: DefaultFields, LatencyUnit: "ms", ErrorStatus: 500}
}

// LatencyScale returns the nanoseconds in one unit of the latency field.
func LatencyScale(unit string) (float64, error) {
	switch unit {
	case "", "ms":
		return 1e6, nil
	case "us":
		return 1e3, nil
	case "ns":
		return 1, nil
	case "s":
		return 1e9, nil
	}
	return 0, fmt.Errorf("%q: want ms, us, ns or s", unit)
}

// Decoder extracts an [Event] from one JSON line. A Decoder reuses its
// buffers and is not safe for concurrent use: give each task its own.
//
// Flat lines (one object of strings, numbers, booleans and nulls, without
// escapes or control bytes) are scanned in one pass by a hand-written
// scanner; anything else — escapes, nested values, odd whitespace, invalid
// JSON — goes to the full path: the line is validated (validObject) and each
// field looked up in its text (lastMember). Both take a line as JSON exactly
// when encoding/json does and read the last member of a repeated key, so
// the result never depends on which path read the line.
type Decoder struct {
	spec           Spec
	paths          [][]string // slot -> path
	flatKeys       []string   // slot -> key, when every path is one key
	slotsByLen     [64][]int  // keyLenClass -> slots of flat keys of that class
	keyLens        uint64     // bit n set when slotsByLen[n] is not empty
	vals           []rawVal   // slot -> value of the current line
	quotes         []uint64   // quote masks of the current line (scanFlat)
	latencyToNanos float64
	raw, group     []byte
	key            []byte // a decoded key (lastMember)
	num            []byte // a canonical number (group values)
	times          timeCache
	lines          *LineReader  // Ingest's, kept for its buffer
	layout         *Layout      // TimeLayout's; nil when the spec's is invalid
	steps          []stepRunner // the pipeline's, built by ingestPipeline
	stepsMax       int          // the record limit steps was built with
}

// Slots of the fixed fields; group-by fields follow.
const (
	slotTime = iota
	slotLevel
	slotLatency
	slotStatus
	slotBytes
	slotDistinct
	slotGroups
)

// rawVal is a field's value: its JSON kind and its text (a string's
// unescaped content, a number's literal, or the JSON of anything else).
type rawVal struct {
	kind valKind
	b    []byte
}

type valKind uint8

const (
	valAbsent valKind = iota
	valNull
	valString
	valNumber
	valBool
	valOther // object or array
	// valBadString is a string with an escape that is not JSON or decodes
	// to no Unicode scalar value (a lone or unpaired surrogate): it has no
	// text that could not also be another string's.
	valBadString
)

// NewDecoder returns a decoder for spec, which must be valid (see
// LatencyScale, ParseTimeFormat, LoadZone and NewLayout): with an invalid
// layout or zone every line is bad_timestamp.
func NewDecoder(spec Spec) *Decoder {
	scale, err := LatencyScale(spec.LatencyUnit)
	if err != nil {
		scale = 1e6
	}
	f := spec.Fields
	d := &Decoder{spec: spec, latencyToNanos: scale}
	if spec.TimeFormat == TimeLayout {
		if loc, err := LoadZone(spec.TimeZone); err == nil {
			d.layout, _ = NewLayout(spec.TimeLayout, loc)
		}
	}
	for _, p := range append([]string{f.Timestamp, f.Level, f.Latency, f.Status, f.Bytes, f.Distinct}, spec.GroupBy...) {
		d.paths = append(d.paths, splitPath(p))
	}
	d.vals = make([]rawVal, len(d.paths))
	flat := true
	for _, p := range d.paths {
		if len(p) > 1 {
			flat = false
		}
	}
	if flat {
		for _, p := range d.paths {
			k := ""
			if len(p) == 1 {
				k = p[0]
			}
			if k != "" {
				n := keyLenClass(len(k))
				d.slotsByLen[n] = append(d.slotsByLen[n], len(d.flatKeys))
				d.keyLens |= 1 << n
			}
			d.flatKeys = append(d.flatKeys, k)
		}
	}
	return d
}

// keyLenClass is the index in Decoder.slotsByLen of keys n bytes long:
// n itself, with every key of 63 bytes or more in the last class.
func keyLenClass(n int) int { return min(n, 63) }

// splitPath is ParsePath for a spec that was validated: an invalid path
// is read as the one literal key it spells, which no valid path names.
func splitPath(p string) []string {
	keys, err := ParsePath(p)
	if err != nil {
		return []string{p}
	}
	return keys
}

// exactUint returns the value of a JSON number, or of a string holding
// one, when it is an integer from 0 to limit — read exactly, never through a
// float: 5e2 and 500.000 are 500, 499.99999999999999999 is no integer, and
// -0 is 0. A string must hold a JSON number as JSON writes it ("200", not
// "+200", "0200" or " 200").
func exactUint(v rawVal, limit uint64) (uint64, bool) {
	if v.kind != valNumber && v.kind != valString {
		return 0, false
	}
	neg, intPart, frac, exp, ok := splitNumber(v.b)
	if !ok {
		return 0, false
	}
	// The digits are intPart then frac; the point falls after the first
	// point of them. Every digit after it must be zero.
	nd := len(intPart) + len(frac)
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	point := int64(len(intPart)) + exp
	var n uint64
	for k := 0; k < nd; k++ {
		c := uint64(digit(k) - '0')
		if int64(k) >= point {
			if c != 0 {
				return 0, false
			}
			continue
		}
		if n > (limit-c)/10 {
			return 0, false
		}
		n = n*10 + c
	}
	// Zeros the exponent puts after the digits (bounded: n overflows max
	// within 20 of them unless it is 0).
	for k := int64(nd); k < point && n != 0; k++ {
		if n > limit/10 {
			return 0, false
		}
		n *= 10
	}
	return n, !neg || n == 0
}

func present(v rawVal) bool { return v.kind != valAbsent && v.kind != valNull }

// Decode decodes one line. It returns ReasonNone and the event, or the reason
// the line must be skipped. It never panics, whatever the input.
func (d *Decoder) Decode(line []byte) (Event, Reason) {
	if d.flatKeys == nil || !d.scanFlat(line) {
		if !validObject(line) {
			return Event{}, ReasonNotJSON
		}
		line = line[skipWS(line, 0):]
		d.raw = d.raw[:0]
		for i, p := range d.paths {
			d.vals[i] = d.lookup(p, line)
		}
	}
	return d.convert()
}

// lookup reads one path of a line validObject accepted (from its '{'): at
// each step the last member of that name, as encoding/json, Python and jq
// read a repeated key. Text that is not a slice of the line goes to d.raw,
// which holds every slot's text for this line.
func (d *Decoder) lookup(path []string, line []byte) rawVal {
	if path == nil {
		return rawVal{}
	}
	b := line
	for _, k := range path {
		if len(b) == 0 || b[0] != '{' {
			return rawVal{}
		}
		if b, d.key = lastMember(b, k, d.key); b == nil {
			return rawVal{}
		}
	}
	switch b[0] {
	case '"':
		s := b[1 : len(b)-1]
		if bytes.IndexByte(s, '\\') < 0 {
			return rawVal{kind: valString, b: s}
		}
		start := len(d.raw)
		var ok bool
		if d.raw, ok = appendUnescaped(d.raw, s); !ok {
			d.raw = d.raw[:start]
			return rawVal{kind: valBadString}
		}
		return rawVal{kind: valString, b: d.raw[start:len(d.raw):len(d.raw)]}
	case '{', '[':
		start := len(d.raw)
		d.raw = appendCompact(d.raw, b)
		return rawVal{kind: valOther, b: d.raw[start:len(d.raw):len(d.raw)]}
	case 't', 'f':
		return rawVal{kind: valBool, b: b}
	}
	if string(b) == "null" {
		return rawVal{kind: valNull}
	}
	return rawVal{kind: valNumber, b: b}
}

func (d *Decoder) convert() (Event, Reason) {
	var e Event
	var err error
	tv := d.vals[slotTime]
	if !present(tv) {
		return e, ReasonMissingTimestamp
	}
	if e.Time, err = d.parseTime(tv); err != nil {
		return e, ReasonBadTimestamp
	}
	if lv := d.vals[slotLatency]; present(lv) {
		ns, missing, ok := parseLatency(lv, latencyPow(d.latencyToNanos))
		switch {
		case !ok:
			return e, ReasonBadLatency
		case missing:
			d.vals[slotLatency] = rawVal{} // "-": no latency, as if absent
		default:
			e.Latency, e.HasLatency = ns, true
		}
	}
	if sv := d.vals[slotStatus]; present(sv) {
		n, ok := exactUint(sv, 999)
		if !ok {
			return e, ReasonBadStatus
		}
		e.Status = int32(n)
	}
	if bv := d.vals[slotBytes]; present(bv) {
		n, ok := exactUint(bv, 1<<53-1)
		if !ok {
			return e, ReasonBadBytes
		}
		e.Bytes, e.HasBytes = int64(n), true
	}
	levelSeen := false
	if lv := d.vals[slotLevel]; present(lv) {
		e.Level, levelSeen = classifyLevel(d.spec.Levels, lv), true
		if e.Level == LevelUnknown {
			e.LevelText = levelText(lv)
		}
	}
	if !levelSeen && d.spec.ErrorStatus > 0 && e.Status >= int32(d.spec.ErrorStatus) {
		e.Level = LevelError
	}
	if dv := d.vals[slotDistinct]; present(dv) {
		b, ok := d.valueText(dv)
		if !ok {
			return e, ReasonBadDistinct
		}
		e.Distinct, e.HasDistinct = hashBytes(b), true
	}
	if len(d.vals) > slotGroups {
		d.group = d.group[:0]
		for _, gv := range d.vals[slotGroups:] {
			b, ok := d.valueText(gv)
			if !ok || !validDimension(b) || d.spec.MaxDimension > 0 && len(b) > d.spec.MaxDimension {
				return e, ReasonBadDimension
			}
			d.group = binary.AppendUvarint(d.group, uint64(len(b)))
			d.group = append(d.group, b...)
		}
		e.Group = d.group
	}
	for i := slotLevel; i < len(d.vals) && i < 64; i++ {
		if present(d.vals[i]) {
			e.Present |= 1 << i
		}
	}
	return e, ReasonNone
}

// valueText returns the text a dimension or distinct value is compared by
// (see dimension.go): a string's decoded content, a number's canonical
// text, true or false, and nothing for missing or null. ok is false for an
// object or array and for a string whose escapes decode to no text.
func (d *Decoder) valueText(v rawVal) (b []byte, ok bool) {
	switch v.kind {
	case valAbsent, valNull:
		return nil, true
	case valNumber:
		d.num = appendCanonicalNumber(d.num[:0], v.b)
		return d.num, true
	case valString, valBool:
		return v.b, true
	}
	return nil, false
}

func (d *Decoder) parseTime(v rawVal) (int64, error) {
	f := d.spec.TimeFormat
	switch v.kind {
	case valNumber:
		if f != TimeAuto && (f < TimeEpochS || f > TimeEpochNS) {
			return 0, errTimestamp
		}
		return ParseEpoch(v.b, f)
	case valString:
		b := v.b
		switch f {
		case TimeRFC3339:
			return d.times.parse(b)
		case TimeNginx:
			return ParseNginx(b)
		case TimeLayout:
			if d.layout == nil {
				return 0, errTimestamp
			}
			return d.layout.Parse(b)
		case TimeEpochS, TimeEpochMS, TimeEpochUS, TimeEpochNS:
			return ParseEpoch(b, f)
		}
		// Only a string shaped like RFC 3339 ("YYYY-...") is tried as one, so
		// the other shapes do not pay for a failed time.Parse and its error.
		if len(b) > 4 && b[4] == '-' {
			if ns, err := d.times.parse(b); err == nil {
				return ns, nil
			}
		}
		if len(b) > 0 && (b[0] >= '0' && b[0] <= '9' || b[0] == '-') {
			if ns, err := ParseEpoch(b, TimeAuto); err == nil {
				return ns, nil
			}
		}
		return ParseNginx(b)
	}
	return 0, errTimestamp
}

// DecodeGroup splits an encoded group key into its dimension values.
func DecodeGroup(key string, n int) []string {
	vals := make([]string, 0, n)
	for len(key) > 0 && len(vals) < n {
		var v string
		v, key = nextGroupValue(key)
		vals = append(vals, v)
	}
	for len(vals) < n {
		vals = append(vals, "")
	}
	return vals
}

// EncodeGroup is the inverse of DecodeGroup.
func EncodeGroup(vals []string) string {
	var b []byte
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return string(b)
}

// appendUnescaped appends the content of the JSON string whose text between
// the quotes is s, and reports whether every escape in it is one JSON has
// (\" \\ \/ \b \f \n \r \t \uXXXX) and decodes to Unicode scalar values: a
// \u escape of a surrogate must be a high one followed at once by an
// escaped low one. Bytes outside escapes are copied as they are.
func appendUnescaped(dst, s []byte) ([]byte, bool) {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...), true
		}
		dst = append(dst, s[:i]...)
		if i+1 >= len(s) {
			return dst, false
		}
		c := s[i+1]
		s = s[i+2:]
		switch c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s)
			if !ok {
				return dst, false
			}
			s = s[4:]
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || len(s) < 2 || s[0] != '\\' || s[1] != 'u' {
					return dst, false // a low surrogate first, or a high one alone
				}
				lo, ok := hex4(s[2:])
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return dst, false
				}
				r = utf16.DecodeRune(r, lo)
				s = s[6:]
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
