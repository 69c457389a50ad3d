package features

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A level value is classified as an error, a warning, a known non-error
// (LevelOther) or, when it is none of these, LevelUnknown: a non-error for
// the features that is counted and reported (Counts.UnknownLevel), never
// silent. Names are compared in any ASCII case. A number, or a string
// holding one, is classified only by a LevelMap: pino (10–60), syslog and
// journald PRIORITY (0–7) and OTel severityNumber (1–24) give the same
// numbers opposite meanings.

// maxBuiltinName is the longest built-in level name
// ("severity_number_unspecified"): longer values are not built-in names.
const maxBuiltinName = 32

// builtinLevel classifies a level value by the built-in vocabulary: syslog,
// GCP, OTel severityText and its protobuf enum names, log4j, JUL, Python,
// zap, logrus (and its four-letter text form), slog, Serilog's three-letter
// form, winston, Microsoft.Extensions.Logging and klog's single letters. It
// reports false for any other value. It allocates nothing.
func builtinLevel(b []byte) (Level, bool) {
	if len(b) == 0 || len(b) > maxBuiltinName {
		return LevelUnknown, false
	}
	var w uint64
	if len(b) <= 8 {
		// Most level values fit in a word, lowered in a register: the
		// commonest names are compared with it at once.
		switch len(b) {
		case 4:
			w = uint64(binary.LittleEndian.Uint32(b))
		case 5:
			w = uint64(binary.LittleEndian.Uint32(b)) | uint64(b[4])<<32
		default:
			for i := len(b) - 1; i >= 0; i-- {
				w = w<<8 | uint64(b[i])
			}
		}
		w = lowerASCIIWord(w)
		// The length too: "fatal\x00" is the word of "fatal".
		switch {
		case w == wordInfo && len(b) == 4, (w == wordDebug || w == wordTrace) && len(b) == 5, w == wordNotice && len(b) == 6:
			return LevelOther, true
		case w == wordWarn && len(b) == 4, w == wordWarning && len(b) == 7:
			return LevelWarn, true
		case (w == wordError || w == wordFatal) && len(b) == 5:
			return LevelError, true
		}
	}
	return builtinLowered(b, w)
}

// builtinLowered looks b up among all the built-in names and their
// numbered forms; w is b lowered when b fits in a word.
func builtinLowered(b []byte, w uint64) (Level, bool) {
	var buf [maxBuiltinName]byte
	if len(b) <= 8 {
		binary.LittleEndian.PutUint64(buf[:], w)
	} else {
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[i] = c
		}
	}
	s := buf[:len(b)]
	if l, ok := builtinName(s); ok {
		return l, true
	}
	return builtinSuffixed(s)
}

// The commonest names as little-endian words, as builtinLevel reads them.
const (
	wordInfo    = 'i' | 'n'<<8 | 'f'<<16 | 'o'<<24
	wordDebug   = 'd' | 'e'<<8 | 'b'<<16 | 'u'<<24 | 'g'<<32
	wordTrace   = 't' | 'r'<<8 | 'a'<<16 | 'c'<<24 | 'e'<<32
	wordNotice  = 'n' | 'o'<<8 | 't'<<16 | 'i'<<24 | 'c'<<32 | 'e'<<40
	wordWarn    = 'w' | 'a'<<8 | 'r'<<16 | 'n'<<24
	wordWarning = 'w' | 'a'<<8 | 'r'<<16 | 'n'<<24 | 'i'<<32 | 'n'<<40 | 'g'<<48
	wordError   = 'e' | 'r'<<8 | 'r'<<16 | 'o'<<24 | 'r'<<32
	wordFatal   = 'f' | 'a'<<8 | 't'<<16 | 'a'<<24 | 'l'<<32
)

// lowerASCIIWord lowers the ASCII capitals among the eight bytes of x, all
// at once; every other byte is left as it is. A byte's low seven bits plus
// 0x80-'A' reach 0x80 when it is 'A' or above, plus 0x80-'Z'-1 when it is
// above 'Z'; neither sum carries into the next byte.
func lowerASCIIWord(x uint64) uint64 {
	const ones = 0x0101010101010101
	low := x & (0x7f * ones)
	atLeastA := low + (0x80-'A')*ones
	aboveZ := low + (0x80-'Z'-1)*ones
	upper := atLeastA &^ aboveZ &^ x & (0x80 * ones)
	return x | upper>>2
}

// builtinName looks up a lower-case name in the built-in vocabulary.
func builtinName(s []byte) (Level, bool) {
	switch string(s) {
	case "info", "debug", "trace", "notice", "information", "informational", "verbose",
		"fine", "finer", "finest", "config", "default",
		"i", "d", "v", "t", "n",
		"inf", "dbg", "vrb", "trc", "debu", "trac", "http", "silly",
		"severity_number_unspecified":
		return LevelOther, true
	case "warn", "warning", "w", "wrn":
		return LevelWarn, true
	case "error", "err", "fatal", "critical", "crit", "alert", "emerg", "emergency",
		"panic", "dpanic", "severe", "e", "f",
		"ftl", "erro", "fata", "pani":
		return LevelError, true
	}
	return LevelUnknown, false
}

// builtinSuffixed classifies the numbered forms of the names OTel, slog
// and Apache use: the protobuf enum names (SEVERITY_NUMBER_ERROR2), OTel's
// severityText with a digit 2–4 (ERROR2, FATAL4), Apache's trace1–trace8,
// and slog's offsets (ERROR+2, DEBUG-4, INFO+1). The name before the
// number gives the class. s is lower case.
func builtinSuffixed(s []byte) (Level, bool) {
	if rest, ok := bytes.CutPrefix(s, []byte("severity_number_")); ok {
		s = rest
		if i := len(s) - 1; i > 0 && '2' <= s[i] && s[i] <= '4' {
			s = s[:i]
		}
		return numberedBase(s)
	}
	i := len(s)
	for i > 0 && '0' <= s[i-1] && s[i-1] <= '9' {
		i--
	}
	switch digits := len(s) - i; {
	case digits == 0 || i == 0:
		return LevelUnknown, false
	case s[i-1] == '+' || s[i-1] == '-':
		// slog's offsets are small: "error+1000" is no slog level.
		switch base := s[:i-1]; string(base) {
		case "debug", "info", "warn", "error":
			if digits <= 3 {
				return numberedBase(base)
			}
		}
		return LevelUnknown, false
	case digits == 1 && s[i] != '0':
		return numberedBase(s[:i])
	}
	return LevelUnknown, false
}

// numberedBase classifies the names that take a number in builtinSuffixed.
func numberedBase(s []byte) (Level, bool) {
	switch string(s) {
	case "trace", "debug", "info":
		return LevelOther, true
	case "warn":
		return LevelWarn, true
	case "error", "fatal":
		return LevelError, true
	}
	return LevelUnknown, false
}

// LevelMap classifies level values beyond the built-in names: names (any
// ASCII case), integers, inclusive integer ranges, and "*" for any other
// present value. Parse one with ParseLevelMap; a nil *LevelMap is the
// built-in vocabulary alone. A LevelMap is not changed after parsing and is
// safe for concurrent use.
type LevelMap struct {
	names  map[string]Level // lower-case names
	ranges []levelRange     // sorted, not overlapping
	other  Level            // the class of "*"; LevelUnknown when none
}

type levelRange struct {
	lo, hi int64
	class  Level
}

// maxLevelMapName bounds a name in a level map; longer level values are
// never looked up.
const maxLevelMapName = 64

// ParseLevelMap parses a --level-map: comma-separated items, where a run
// of keys ends with KEY=CLASS and every key of the run gets CLASS (error,
// warn or info, in any case): "50=error,60=error,40=warn",
// "err,crit,alert,emerg=error", "0-3=error,4=warn,5-7=info", "*=error".
// A key is "*" (any present value no other key and no built-in name
// classifies), an integer ("-1", "40"), an inclusive range of non-negative
// integers ("0-3"), or a name of at most 64 bytes matched in any ASCII
// case; a key starting with a digit or '-' must be an integer or a range.
// Spaces around items are ignored. A key given twice, overlapping ranges,
// an empty item, a run without a class and an unknown class are errors.
// The empty string is no map: it returns nil.
func ParseLevelMap(s string) (*LevelMap, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := &LevelMap{names: map[string]Level{}, other: LevelUnknown}
	var run []string // keys waiting for their class
	star := false
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, errors.New("empty item (two commas, or a comma at an end)")
		}
		key, class, hasClass := strings.Cut(item, "=")
		key = strings.TrimSpace(key)
		run = append(run, key)
		if !hasClass {
			continue
		}
		l, err := parseLevelClass(strings.TrimSpace(class))
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		for _, k := range run {
			switch {
			case k == "*":
				if star {
					return nil, errors.New(`key "*" given twice`)
				}
				star, m.other = true, l
			case k == "":
				return nil, fmt.Errorf("%q: empty key", item)
			case k[0] == '-' || '0' <= k[0] && k[0] <= '9':
				lo, hi, err := parseLevelRange(k)
				if err != nil {
					return nil, err
				}
				m.ranges = append(m.ranges, levelRange{lo, hi, l})
			default:
				if len(k) > maxLevelMapName {
					return nil, fmt.Errorf("key %.20q…: longer than %d bytes", k, maxLevelMapName)
				}
				if strings.ContainsAny(k, "=*") {
					return nil, fmt.Errorf("key %q: '=' and '*' are not part of a name", k)
				}
				name := lowerASCII(k)
				if _, dup := m.names[name]; dup {
					return nil, fmt.Errorf("key %q given twice (names are matched in any case)", k)
				}
				m.names[name] = l
			}
		}
		run = run[:0]
	}
	if len(run) > 0 {
		return nil, fmt.Errorf("keys %q have no class: end a run of keys with KEY=CLASS", strings.Join(run, ","))
	}
	slices.SortFunc(m.ranges, func(a, b levelRange) int { return cmp.Compare(a.lo, b.lo) })
	for i := 1; i < len(m.ranges); i++ {
		if a, b := m.ranges[i-1], m.ranges[i]; b.lo <= a.hi {
			return nil, fmt.Errorf("keys %q and %q overlap", rangeText(a), rangeText(b))
		}
	}
	return m, nil
}

func parseLevelClass(s string) (Level, error) {
	switch lowerASCII(s) {
	case "error":
		return LevelError, nil
	case "warn":
		return LevelWarn, nil
	case "info":
		return LevelOther, nil
	}
	return LevelUnknown, fmt.Errorf("class %q: want error, warn or info", s)
}

// parseLevelRange parses an integer key ("40", "-1") or an inclusive range
// of non-negative integers ("0-3").
func parseLevelRange(k string) (lo, hi int64, err error) {
	if v, err := strconv.ParseInt(k, 10, 64); err == nil {
		return v, v, nil
	}
	a, b, ok := strings.Cut(k, "-")
	if ok && a != "" && b != "" && allDigits([]byte(a)) && allDigits([]byte(b)) {
		lo, err1 := strconv.ParseInt(a, 10, 64)
		hi, err2 := strconv.ParseInt(b, 10, 64)
		switch {
		case err1 != nil || err2 != nil:
			return 0, 0, fmt.Errorf("key %q: bounds beyond 64-bit integers", k)
		case lo > hi:
			return 0, 0, fmt.Errorf("key %q: the range's first bound is above its last", k)
		}
		return lo, hi, nil
	}
	return 0, 0, fmt.Errorf("key %q: a key starting with a digit or '-' is an integer or a range lo-hi of non-negative integers", k)
}

func rangeText(r levelRange) string {
	if r.lo == r.hi {
		return strconv.FormatInt(r.lo, 10)
	}
	return fmt.Sprintf("%d-%d", r.lo, r.hi)
}

// lowerASCII lowers the ASCII letters of s, byte by byte: other bytes,
// valid UTF-8 or not, stay as they are.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// String returns the map in canonical form: names (lower case) sorted, then
// integers and ranges in order, then "*", each KEY=CLASS. ParseLevelMap
// reads it back to the same map.
func (m *LevelMap) String() string {
	if m == nil {
		return ""
	}
	var items []string
	for _, n := range slices.Sorted(maps.Keys(m.names)) {
		items = append(items, n+"="+levelClassName(m.names[n]))
	}
	for _, r := range m.ranges {
		items = append(items, rangeText(r)+"="+levelClassName(r.class))
	}
	if m.other != LevelUnknown {
		items = append(items, "*="+levelClassName(m.other))
	}
	return strings.Join(items, ",")
}

func levelClassName(l Level) string {
	switch l {
	case LevelError:
		return "error"
	case LevelWarn:
		return "warn"
	}
	return "info"
}

// classifyLevel returns the class of a present level value: the map's
// entries first, then the built-in names, then the map's "*"; LevelUnknown
// when none applies. A number, or a string holding one, is looked up among
// the map's integers and ranges only (by value: 40, "40" and 4e1 are one).
// The default path (no map, a string) allocates nothing.
func classifyLevel(m *LevelMap, v rawVal) Level {
	if m == nil {
		if v.kind != valString {
			return LevelUnknown
		}
		l, _ := builtinLevel(v.b)
		return l
	}
	switch v.kind {
	case valNumber, valString:
		if n, ok := levelInteger(v.b); ok {
			if l, ok := m.lookupInt(n); ok {
				return l
			}
			return m.other
		}
	}
	if v.kind == valString || v.kind == valBool {
		if len(v.b) <= maxLevelMapName && len(m.names) > 0 {
			var buf [maxLevelMapName]byte
			s := buf[:len(v.b)]
			for i, c := range v.b {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				s[i] = c
			}
			if l, ok := m.names[string(s)]; ok {
				return l
			}
		}
		if l, ok := builtinLevel(v.b); ok {
			return l
		}
	}
	return m.other
}

func (m *LevelMap) lookupInt(n int64) (Level, bool) {
	i, _ := slices.BinarySearchFunc(m.ranges, n, func(r levelRange, n int64) int {
		switch {
		case r.hi < n:
			return -1
		case r.lo > n:
			return 1
		}
		return 0
	})
	if i < len(m.ranges) && m.ranges[i].lo <= n && n <= m.ranges[i].hi {
		return m.ranges[i].class, true
	}
	return LevelUnknown, false
}

// levelInteger reads a level value that is an integer: digits with an
// optional '-' (leading zeros allowed: "03" is 3), or a JSON number whose
// value is an integer (4e1, 40.0). It reports false for anything else and
// for integers beyond int64.
func levelInteger(b []byte) (int64, bool) {
	neg, digits := false, b
	if len(digits) > 0 && digits[0] == '-' {
		neg, digits = true, digits[1:]
	}
	if len(digits) > 0 && len(digits) <= 18 && digitsEnd(digits, 0) == len(digits) {
		var n int64
		for _, c := range digits {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return n, true
	}
	neg, intPart, frac, exp, ok := splitNumber(b)
	if !ok {
		return 0, false
	}
	// The value is 0.d(first)…d(last) shifted: an integer when its last
	// non-zero digit is before the point.
	nd := len(intPart) + len(frac)
	digit := func(k int64) byte {
		if k < int64(len(intPart)) {
			return intPart[k]
		}
		if k < int64(nd) {
			return frac[k-int64(len(intPart))]
		}
		return '0'
	}
	first, last := int64(0), int64(nd-1)
	for first < int64(nd) && digit(first) == '0' {
		first++
	}
	if first == int64(nd) {
		return 0, true
	}
	for digit(last) == '0' {
		last--
	}
	point := int64(len(intPart)) + exp // digits before the point
	if last >= point || point-first > 18 {
		return 0, false // a fraction, or beyond what levels use
	}
	var n int64
	for k := first; k < point; k++ {
		n = n*10 + int64(digit(k)-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// levelText is the text an unknown level is reported by.
func levelText(v rawVal) []byte {
	if v.kind == valBadString {
		return []byte("\ufffd")
	}
	return v.b
}
