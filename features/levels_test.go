package features

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The built-in vocabulary, as docs/input.md lists it: the reference the
// classifier is checked against, name by name and by fuzzing.
var (
	refErrors = []string{"error", "err", "fatal", "critical", "crit", "alert", "emerg", "emergency",
		"panic", "dpanic", "severe", "e", "f", "ftl", "erro", "fata", "pani"}
	refWarns  = []string{"warn", "warning", "w", "wrn"}
	refOthers = []string{"info", "information", "informational", "notice", "debug", "trace", "verbose",
		"fine", "finer", "finest", "config", "default", "i", "d", "v", "t", "n",
		"inf", "dbg", "vrb", "trc", "debu", "trac", "http", "silly", "severity_number_unspecified"}
	// The names that take a number: OTel's ERROR2 and SEVERITY_NUMBER_ERROR2,
	// Apache's trace1-8, slog's ERROR+2.
	refNumbered = map[string]Level{"trace": LevelOther, "debug": LevelOther, "info": LevelOther,
		"warn": LevelWarn, "error": LevelError, "fatal": LevelError}
	refSlog = []string{"debug", "info", "warn", "error"}

	refSeverityNumber = regexp.MustCompile(`^severity_number_([a-z]+?)([234]?)$`)
	refDigit          = regexp.MustCompile(`^([a-z]+)[1-9]$`)
	refOffset         = regexp.MustCompile(`^([a-z]+)[+-][0-9]{1,3}$`)
	refPlainInteger   = regexp.MustCompile(`^-?[0-9]{1,18}$`)
	refJSONNumber     = regexp.MustCompile(`^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)
)

// refBuiltin classifies s by the lists above, the slow way.
func refBuiltin(s string) (Level, bool) {
	lb := []byte(s)
	for i, c := range lb {
		if 'A' <= c && c <= 'Z' {
			lb[i] = c + 32
		}
	}
	l := string(lb)
	for class, names := range map[Level][]string{LevelError: refErrors, LevelWarn: refWarns, LevelOther: refOthers} {
		if slices.Contains(names, l) {
			return class, true
		}
	}
	if m := refSeverityNumber.FindStringSubmatch(l); m != nil {
		if c, ok := refNumbered[m[1]]; ok {
			return c, true
		}
	}
	if m := refDigit.FindStringSubmatch(l); m != nil {
		if c, ok := refNumbered[m[1]]; ok {
			return c, true
		}
	}
	if m := refOffset.FindStringSubmatch(l); m != nil && slices.Contains(refSlog, m[1]) {
		return refNumbered[m[1]], true
	}
	return LevelUnknown, false
}

func TestBuiltinLevels(t *testing.T) {
	check := func(s string, want Level) {
		t.Helper()
		if got := classifyLevel(nil, rawVal{kind: valString, b: []byte(s)}); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
	for class, names := range map[Level][]string{LevelError: refErrors, LevelWarn: refWarns, LevelOther: refOthers} {
		for _, n := range names {
			check(n, class)
			check(strings.ToUpper(n), class)
			check(strings.ToUpper(n[:1])+n[1:], class)
		}
	}
	for _, tc := range []struct {
		s    string
		want Level
	}{
		{"ERROR2", LevelError}, {"FATAL4", LevelError}, {"WARN3", LevelWarn}, {"INFO4", LevelOther}, {"TRACE2", LevelOther},
		{"SEVERITY_NUMBER_ERROR", LevelError}, {"SEVERITY_NUMBER_ERROR4", LevelError}, {"SEVERITY_NUMBER_FATAL2", LevelError},
		{"SEVERITY_NUMBER_WARN", LevelWarn}, {"SEVERITY_NUMBER_INFO3", LevelOther}, {"SEVERITY_NUMBER_DEBUG", LevelOther},
		{"trace8", LevelOther}, {"ERROR+2", LevelError}, {"DEBUG-4", LevelOther}, {"INFO+3", LevelOther}, {"WARN+1", LevelWarn},
		// Not levels.
		{"", LevelUnknown}, {" info", LevelUnknown}, {"info ", LevelUnknown}, {"errors", LevelUnknown},
		{"warnings", LevelUnknown}, {"error0", LevelUnknown}, {"error10", LevelUnknown}, {"e1", LevelUnknown},
		{"ERROR+1000", LevelUnknown}, {"ERROR+", LevelUnknown}, {"FATAL+1", LevelUnknown}, {"SEVERITY_NUMBER_ERROR5", LevelUnknown},
		{"SEVERITY_NUMBER_", LevelUnknown}, {"SEVERITY_NUMBER_E", LevelUnknown}, {"severity_number_unspecified2", LevelUnknown},
		{"ſevere", LevelUnknown}, // only ASCII letters fold: U+017F is not 's'
		{"30", LevelUnknown}, {"3", LevelUnknown}, {"50", LevelUnknown}, {"-", LevelUnknown},
		{strings.Repeat("e", 33), LevelUnknown}, {"erro\x00", LevelUnknown}, {"fatal\x00", LevelUnknown}, {"info\x00\x00\x00\x00", LevelUnknown},
		{"e\x00", LevelUnknown}, {"warn\x00\x00\x00", LevelUnknown},
	} {
		check(tc.s, tc.want)
	}
	// Numbers, booleans and objects are never classified without a map.
	for _, v := range []rawVal{rawVal{kind: valNumber, b: []byte("50")}, {kind: valBool, b: []byte("true")},
		{kind: valOther, b: []byte(`{"a":1}`)}, {kind: valBadString}} {
		if got := classifyLevel(nil, v); got != LevelUnknown {
			t.Errorf("%+v: %v without a map", v, got)
		}
	}
}

// The classifier agrees with the reference on any text.
func FuzzBuiltinLevel(f *testing.F) {
	for _, s := range append(append(append([]string{"ERROR2", "SEVERITY_NUMBER_WARN3", "info+1", "trace8"}, refErrors...), refWarns...), refOthers...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := refBuiltin(s)
		if got := classifyLevel(nil, rawVal{kind: valString, b: []byte(s)}); got != want {
			t.Errorf("%q: %v, reference %v", s, got, want)
		}
	})
}

func TestParseLevelMap(t *testing.T) {
	str := func(s string) rawVal { return rawVal{kind: valString, b: []byte(s)} }
	num := func(s string) rawVal { return rawVal{kind: valNumber, b: []byte(s)} }
	tests := []struct {
		m     string
		canon string
		vals  []classified
	}{
		{"50=error,60=error,40=warn", "40=warn,50=error,60=error", []classified{
			{num("50"), LevelError}, {str("50"), LevelError}, {num("5e1"), LevelError}, {num("50.0"), LevelError}, {str("050"), LevelError},
			{num("60"), LevelError}, {num("40"), LevelWarn}, {num("30"), LevelUnknown}, {num("50.5"), LevelUnknown},
			{str("error"), LevelError}, {str("INFO"), LevelOther}, {str("custom"), LevelUnknown}}},
		{"err,crit,alert,emerg=error", "alert=error,crit=error,emerg=error,err=error", []classified{
			{str("ERR"), LevelError}, {str("Crit"), LevelError}, {str("notice"), LevelOther}, {num("3"), LevelUnknown}}},
		{"0-3=error,4=warn,5-7=info", "0-3=error,4=warn,5-7=info", []classified{
			{num("0"), LevelError}, {str("3"), LevelError}, {num("4"), LevelWarn}, {num("5"), LevelOther}, {str("7"), LevelOther},
			{num("8"), LevelUnknown}, {num("-1"), LevelUnknown}, {num("3.5"), LevelUnknown}, {str(" 3"), LevelUnknown}}},
		{"*=error", "*=error", []classified{
			{str("AccessDenied"), LevelError}, {num("7"), LevelError}, {str(""), LevelError}, {rawVal{kind: valBool, b: []byte("true")}, LevelError},
			{rawVal{kind: valOther, b: []byte("[1]")}, LevelError}, {rawVal{kind: valBadString}, LevelError},
			// "*" is for values nothing else classifies: the built-in names keep theirs.
			{str("info"), LevelOther}, {str("warning"), LevelWarn}}},
		// Map entries override the built-in names, in any case.
		{" Error = INFO , WARN=Error,verbose=warn ", "error=info,verbose=warn,warn=error", []classified{
			{str("ERROR"), LevelOther}, {str("warn"), LevelError}, {str("VERBOSE"), LevelWarn}, {str("fatal"), LevelError}}},
		{"true=error,false=info,-1=warn,10-10=info", "false=info,true=error,-1=warn,10=info", []classified{
			{rawVal{kind: valBool, b: []byte("true")}, LevelError}, {rawVal{kind: valBool, b: []byte("false")}, LevelOther},
			{num("-1"), LevelWarn}, {str("-1"), LevelWarn}, {num("10"), LevelOther}, {num("-0"), LevelUnknown}}},
		{"1-9223372036854775807=error,0=info", "0=info,1-9223372036854775807=error", []classified{
			{num("0"), LevelOther}, {num("1e17"), LevelError}, {str("999999999999999999"), LevelError},
			{num("1e18"), LevelUnknown}, {num("0.0"), LevelOther}}}, // integers of up to 18 digits
		{"", "", []classified{{num("50"), LevelUnknown}, {str("error"), LevelError}}},
	}
	for _, tc := range tests {
		m, err := ParseLevelMap(tc.m)
		if err != nil {
			t.Errorf("%q: %v", tc.m, err)
			continue
		}
		if m.String() != tc.canon {
			t.Errorf("%q: canonical %q, want %q", tc.m, m.String(), tc.canon)
		}
		for _, c := range tc.vals {
			v, want := c.v, c.want
			if got := classifyLevel(m, v); got != want {
				t.Errorf("%q: %s %q is %v, want %v", tc.m, kindName(v.kind), v.b, got, want)
			}
		}
	}
}

type classified struct {
	v    rawVal
	want Level
}

func kindName(k valKind) string {
	return [...]string{"absent", "null", "string", "number", "bool", "other", "bad string"}[k]
}

func TestParseLevelMapErrors(t *testing.T) {
	for _, tc := range []struct{ m, want string }{
		{"50", "have no class"},
		{"50=error,60", `"60" have no class`},
		{"50=fatal", `class "fatal": want error, warn or info`},
		{"50=", "want error, warn or info"},
		{"=error", "empty key"},
		{"50=error,,60=error", "empty item"},
		{"50=error,", "empty item"},
		{",50=error", "empty item"},
		{"50=error,50=warn", "overlap"},
		{"0-3=error,3=warn", "overlap"},
		{"0-3=error,2-5=warn", "overlap"},
		{"3-1=error", "above its last"},
		{"1--3=error", "integer or a range"},
		{"-1-3=error", "integer or a range"},
		{"4e1=error", "integer or a range"},
		{"1.5=error", "integer or a range"},
		{"0x10=error", "integer or a range"},
		{"1-99999999999999999999=error", "beyond 64-bit"},
		{"99999999999999999999=error", "integer or a range"},
		{"err=error,ERR=warn", "given twice"},
		{"*=error,*=info", "given twice"},
		{"a*=error", "not part of a name"},
		{"a=b=error", "want error, warn or info"},
		{strings.Repeat("x", 65) + "=error", "longer than 64 bytes"},
	} {
		m, err := ParseLevelMap(tc.m)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v %v, want an error saying %q", tc.m, m, err, tc.want)
		}
	}
}

// refLevelMap is the map's meaning read the slow way, from its text: the
// items in order, each key with the class that ends its run.
type refEntry struct{ key, class string }

func refLevelMapEntries(s string) []refEntry {
	var out, run []refEntry
	for _, it := range strings.Split(s, ",") {
		k, c, ok := strings.Cut(strings.TrimSpace(it), "=")
		run = append(run, refEntry{key: strings.TrimSpace(k)})
		if ok {
			for _, r := range run {
				out = append(out, refEntry{r.key, strings.ToLower(strings.TrimSpace(c))})
			}
			run = nil
		}
	}
	return out
}

func refClass(c string) Level {
	return map[string]Level{"error": LevelError, "warn": LevelWarn, "info": LevelOther}[c]
}

// refClassify classifies v by the entries of a valid map: integers by exact
// value (big.Rat), names by ASCII case folding, then the built-in names,
// then "*".
func refClassify(entries []refEntry, v rawVal) Level {
	star := LevelUnknown
	for _, e := range entries {
		if e.key == "*" {
			star = refClass(e.class)
		}
	}
	if v.kind == valNumber || v.kind == valString {
		if n, ok := refInteger(string(v.b)); ok {
			for _, e := range entries {
				if e.key == "*" || !(e.key[0] == '-' || e.key[0] >= '0' && e.key[0] <= '9') {
					continue
				}
				lo, hi := e.key, e.key
				if i := strings.Index(e.key[1:], "-"); i >= 0 {
					lo, hi = e.key[:i+1], e.key[i+2:]
				}
				l, _ := strconv.ParseInt(lo, 10, 64)
				h, _ := strconv.ParseInt(hi, 10, 64)
				if l <= n && n <= h {
					return refClass(e.class)
				}
			}
			return star
		}
	}
	if v.kind == valString || v.kind == valBool {
		for _, e := range entries {
			if e.key != "*" && asciiOnlyFold(e.key, string(v.b)) {
				return refClass(e.class)
			}
		}
		if l, ok := refBuiltin(string(v.b)); ok {
			return l
		}
	}
	return star
}

// refInteger reads an integer level the slow way: up to 18 digits with an
// optional '-' (leading zeros allowed), or a strict JSON number whose value
// is an integer of at most 18 digits.
func refInteger(s string) (int64, bool) {
	if refPlainInteger.MatchString(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	m := refJSONNumber.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	exp := new(big.Int)
	if m[4] != "" {
		exp.SetString(strings.TrimPrefix(m[4], "+"), 10)
		if digits := strings.TrimLeft(strings.TrimLeft(m[4], "+-"), "0"); len(digits) > 15 {
			return 0, false // as splitNumber: no exponent of more than 15 digits
		}
	}
	mant := strings.TrimLeft(m[2]+m[3], "0")
	if mant == "" {
		return 0, true
	}
	// The value is mant × 10^e, mant without trailing zeros.
	e := new(big.Int).Sub(exp, big.NewInt(int64(len(m[3]))))
	trimmed := strings.TrimRight(mant, "0")
	e.Add(e, big.NewInt(int64(len(mant)-len(trimmed))))
	if e.Sign() < 0 || e.Int64()+int64(len(trimmed)) > 18 {
		return 0, false
	}
	n, _ := strconv.ParseInt(trimmed+strings.Repeat("0", int(e.Int64())), 10, 64)
	if m[1] == "-" {
		n = -n
	}
	return n, true
}

// asciiOnlyFold reports whether a and b are equal with ASCII letters folded.
func asciiOnlyFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 32
		}
		if 'A' <= y && y <= 'Z' {
			y += 32
		}
		if x != y {
			return false
		}
	}
	return true
}

// A map that parses means what its text says, reads back from its
// canonical form, and never panics on any text.
func FuzzLevelMap(f *testing.F) {
	f.Add("50=error,60=error,40=warn", "50", true)
	f.Add("err,crit,alert,emerg=error", "CRIT", false)
	f.Add("0-3=error,4=warn,5-7=info", "3", false)
	f.Add("*=error,info=warn", "AccessDenied", false)
	f.Add("1-5=error,e=info", "4e0", true)
	f.Add("x=warn,X=error", "x", false)
	f.Fuzz(func(t *testing.T, spec, value string, number bool) {
		m, err := ParseLevelMap(spec)
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: error %q", spec, err)
			}
			return
		}
		again, err := ParseLevelMap(m.String())
		if err != nil || again.String() != m.String() {
			t.Fatalf("%q: canonical %q reads back as %q, %v", spec, m.String(), again.String(), err)
		}
		v := rawVal{kind: valString, b: []byte(value)}
		if number {
			v.kind = valNumber
		}
		if m == nil {
			return
		}
		want := refClassify(refLevelMapEntries(spec), v)
		if got := classifyLevel(m, v); got != want {
			t.Errorf("map %q, %s %q: %v, reference %v", spec, kindName(v.kind), value, got, want)
		}
		if got := classifyLevel(again, v); got != want {
			t.Errorf("canonical map %q, %q: %v, reference %v", m.String(), value, got, want)
		}
	})
}

// The decoder classifies the level field on both of its paths, keeps the
// text of an unknown level, and falls back on the status only when there is
// no level.
func TestDecodeLevels(t *testing.T) {
	const ts = `"timestamp":"2025-11-08T10:00:00Z"`
	pino, _ := ParseLevelMap("10-30=info,40=warn,50-60=error")
	tests := []struct {
		levels *LevelMap
		line   string
		level  Level
		text   string
	}{
		{nil, `{` + ts + `,"level":"ERR"}`, LevelError, ""},
		{nil, `{` + ts + `,"level":"Emergency"}`, LevelError, ""},
		{nil, `{` + ts + `,"level":"E"}`, LevelError, ""},
		{nil, `{` + ts + `,"level":"notice","status":503}`, LevelOther, ""},
		{nil, `{` + ts + `,"status":503}`, LevelError, ""},
		{nil, `{` + ts + `,"level":null,"status":503}`, LevelError, ""},
		{nil, `{` + ts + `,"level":50,"status":503}`, LevelUnknown, "50"},
		{nil, `{` + ts + `,"level":"50"}`, LevelUnknown, "50"},
		{nil, `{` + ts + `,"level":"chatty"}`, LevelUnknown, "chatty"},
		{nil, `{` + ts + `,"level":"caf\u00e9"}`, LevelUnknown, "café"},
		{nil, `{` + ts + `,"level":"\ud800"}`, LevelUnknown, "\ufffd"},
		{nil, `{` + ts + `,"level":true}`, LevelUnknown, "true"},
		{nil, `{` + ts + `,"level":{"a":1}}`, LevelUnknown, `{"a":1}`},
		{nil, `{` + ts + `,"level":""}`, LevelUnknown, ""},
		{pino, `{` + ts + `,"level":50}`, LevelError, ""},
		{pino, `{` + ts + `,"level":60}`, LevelError, ""},
		{pino, `{` + ts + `,"level":40}`, LevelWarn, ""},
		{pino, `{` + ts + `,"level":30,"status":500}`, LevelOther, ""},
		{pino, `{` + ts + `,"level":35}`, LevelUnknown, "35"},
		{pino, `{` + ts + `,"level":"warn"}`, LevelWarn, ""},
	}
	for _, tc := range tests {
		spec := DefaultSpec()
		spec.Fields.Status, spec.Levels = "status", tc.levels
		for _, fast := range []bool{true, false} {
			d := NewDecoder(spec)
			if !fast {
				d.flatKeys = nil
			}
			e, r := d.Decode([]byte(tc.line))
			if r != ReasonNone || e.Level != tc.level || string(e.LevelText) != tc.text {
				t.Errorf("%s (scanner %v): %v %v %q, want %v %q", tc.line, fast, r, e.Level, e.LevelText, tc.level, tc.text)
			}
		}
	}
}

// countsEqual compares counts, the unknown levels' values included.
func countsEqual(a, b *Counts) bool {
	x, y := *a, *b
	x.UnknownLevels, y.UnknownLevels = LevelValues{}, LevelValues{}
	return reflect.DeepEqual(x, y) && a.UnknownLevels.Equal(&b.UnknownLevels)
}

// refValues is what LevelValues must hold after seeing values: the
// MaxLevelValues smallest keys with their exact counts, and whether there
// were more.
func refValues(values []string) (map[string]int64, bool) {
	all := map[string]int64{}
	for _, v := range values {
		if len(v) > MaxLevelValueBytes {
			n := MaxLevelValueBytes
			for n > 0 && v[n]&0xc0 == 0x80 {
				n--
			}
			v = v[:n] + "…"
		}
		all[v]++
	}
	// The maxLevelKept smallest are counted; Top reports the
	// MaxLevelValues most frequent of them (ties by value).
	keys := slices.Sorted(maps.Keys(all))
	keys = keys[:min(len(keys), maxLevelKept)]
	slices.SortStableFunc(keys, func(a, b string) int { return int(all[b] - all[a]) })
	kept := map[string]int64{}
	for _, k := range keys[:min(len(keys), MaxLevelValues)] {
		kept[k] = all[k]
	}
	return kept, len(all) > MaxLevelValues
}

// However the values are split between partials and merged, the counts
// are the reference's: exact for the smallest kept, the others flagged.
func TestLevelValuesMergeOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		distinct := 1 + rng.IntN(80) // often fewer than MaxLevelValues, often more
		if trial%10 == 0 {
			distinct = maxLevelKept + rng.IntN(50) // more than are kept
		}
		var values []string
		for range 1 + rng.IntN(600) {
			k := rng.IntN(distinct)
			v := fmt.Sprintf("v%d", k*k%97)
			switch k % 7 {
			case 0:
				v = strings.Repeat("é", 40) + v // longer than MaxLevelValueBytes, cut inside no rune
			case 1:
				v = strconv.Itoa(k * 10)
			}
			values = append(values, v)
		}
		wantKept, wantMore := refValues(values)
		parts := make([]*Partial, 1+rng.IntN(8))
		for i := range parts {
			parts[i] = NewPartial(time.Minute, 0)
		}
		for _, v := range values {
			parts[rng.IntN(len(parts))].Add(&Event{Time: day, Level: LevelUnknown, LevelText: []byte(v)})
		}
		for len(parts) > 1 {
			i, j := rng.IntN(len(parts)), rng.IntN(len(parts)-1)
			if j >= i {
				j++
			}
			if rng.IntN(2) == 0 { // through the codec, as shards are
				b, err := parts[j].MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if parts[j], err = UnmarshalPartial(b); err != nil {
					t.Fatal(err)
				}
			}
			if err := parts[i].Merge(parts[j]); err != nil {
				t.Fatal(err)
			}
			parts = slices.Delete(parts, j, j+1)
		}
		c := &parts[0].Counts
		got := map[string]int64{}
		var sum int64
		for _, v := range c.UnknownLevels.Top() {
			got[v.Value] = v.Count
			sum += v.Count
		}
		if !maps.Equal(got, wantKept) || c.UnknownLevels.All() == wantMore || c.UnknownLevel != int64(len(values)) {
			t.Fatalf("trial %d: kept %v all %v (%d events), want %v more %v (%d)", trial, got, c.UnknownLevels.All(), c.UnknownLevel, wantKept, wantMore, len(values))
		}
		if !wantMore && sum != c.UnknownLevel {
			t.Fatalf("trial %d: every value kept, yet they count %d of %d events", trial, sum, c.UnknownLevel)
		}
		top := c.UnknownLevels.Top()
		if !slices.IsSortedFunc(top, func(a, b LevelValue) int {
			if a.Count != b.Count {
				return int(b.Count - a.Count)
			}
			return strings.Compare(a.Value, b.Value)
		}) {
			t.Fatalf("trial %d: Top not most frequent first: %v", trial, top)
		}
	}
}

// Only aggregated events count: not those out of range or beyond the pane
// limit, as for field presence.
func TestUnknownLevelsOnlyAggregated(t *testing.T) {
	p := NewPartial(time.Minute, 0)
	p.Restrict(time.Unix(0, day), time.Unix(0, day).Add(time.Hour))
	p.Add(&Event{Time: day - 1, Level: LevelUnknown, LevelText: []byte("a")})
	p.Add(&Event{Time: day, Level: LevelUnknown, LevelText: []byte("b")})
	p.Add(&Event{Time: day, Level: LevelOther})
	if top := p.Counts.UnknownLevels.Top(); p.Counts.UnknownLevel != 1 || len(top) != 1 || top[0] != (LevelValue{"b", 1}) {
		t.Errorf("unknown %d %v, want only b", p.Counts.UnknownLevel, top)
	}
}

// Levels and latencies of every form decode without allocating, and an
// unknown level already counted is counted again without allocating.
func TestLevelAndLatencyAllocs(t *testing.T) {
	pino, _ := ParseLevelMap("10-30=info,40=warn,50-60=error,crit=error,*=warn")
	const ts = `"timestamp":"2025-11-08T10:00:00Z"`
	for _, tc := range []struct {
		levels *LevelMap
		line   string
	}{
		{nil, `{` + ts + `,"level":"INFO","latency_ms":12.5}`},
		{nil, `{` + ts + `,"level":"SEVERITY_NUMBER_ERROR3","latency_ms":"0.005s"}`},
		{nil, `{` + ts + `,"level":"error+2","latency_ms":"1m2.5s"}`},
		{nil, `{` + ts + `,"level":"chatty","latency_ms":"0.001, 0.002 : 0.003"}`},
		{nil, `{` + ts + `,"level":30,"latency_ms":"-"}`},
		{nil, `{` + ts + `,"level":"caf\u00e9","latency_ms":"300\u00b5s"}`},
		{pino, `{` + ts + `,"level":50,"latency_ms":"-, 0.002"}`},
		{pino, `{` + ts + `,"level":"4e1"}`},
		{pino, `{` + ts + `,"level":"CRIT"}`},
		{pino, `{` + ts + `,"level":"chatty"}`},
		{pino, `{` + ts + `,"level":{"a":1}}`},
	} {
		spec := DefaultSpec()
		spec.Levels = tc.levels
		d := NewDecoder(spec)
		p := NewPartial(time.Minute, 0)
		line := []byte(tc.line)
		e, r := d.Decode(line)
		if r != ReasonNone {
			t.Fatalf("%s: %v", tc.line, r)
		}
		p.Add(&e)
		if n := testing.AllocsPerRun(100, func() {
			e, _ := d.Decode(line)
			p.Add(&e)
		}); n != 0 {
			t.Errorf("%s: %v allocations per line", tc.line, n)
		}
	}
}

// The words builtinLevel compares with are the names they stand for.
func TestLevelWords(t *testing.T) {
	word := func(s string) uint64 {
		var w uint64
		for i := len(s) - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		return w
	}
	for name, w := range map[string]uint64{"info": wordInfo, "debug": wordDebug, "trace": wordTrace, "notice": wordNotice,
		"warn": wordWarn, "warning": wordWarning, "error": wordError, "fatal": wordFatal} {
		if word(name) != w {
			t.Errorf("%s: %#x, want %#x", name, w, word(name))
		}
	}
	// Lowering a word is lowering each byte, whatever the byte and its
	// neighbours.
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + 32
		}
		return c
	}
	for c := range 256 {
		for pos := range 8 {
			in := [8]byte{'A', 'z', '@', '[', 'Q', '0', 0xc1, 'Z'}
			in[pos] = byte(c)
			got := lowerASCIIWord(binary.LittleEndian.Uint64(in[:]))
			for i := range 8 {
				if byte(got>>(8*i)) != lower(in[i]) {
					t.Errorf("%q: byte %d is %#x, want %#x", in, i, byte(got>>(8*i)), lower(in[i]))
				}
			}
		}
	}
}
