package features

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecode(t *testing.T) {
	ts := time.Date(2025, 11, 8, 10, 0, 0, 0, time.UTC).UnixNano()
	tests := []struct {
		line   string
		reason Reason
		want   Event
	}{
		{`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":120}`, ReasonNone,
			Event{Time: ts, Latency: 120e6, HasLatency: true}},
		{`{"latency_ms":0.5,"level":"error","timestamp":"2025-11-08T10:00:00Z","extra":{"a":[1,2]}}`, ReasonNone,
			Event{Time: ts, Latency: 500_000, HasLatency: true, Level: LevelError}},
		{`  {"timestamp" : "2025-11-08T10:00:00Z" , "level":"Warning"}  `, ReasonNone,
			Event{Time: ts, Level: LevelWarn}},
		{`{"timestamp":"2025-11-08T10:00:00Z","level":"FATAL","latency_ms":null}`, ReasonNone,
			Event{Time: ts, Level: LevelError}},
		{`{"timestamp":"2025-11-08T10:00:00Z","level":"Critical","latency_ms":1e3}`, ReasonNone,
			Event{Time: ts, Level: LevelError, Latency: 1e9, HasLatency: true}},
		{`{"timestamp":"2025-11-08T10:00:00Z","level":"WARN"}`, ReasonNone, Event{Time: ts, Level: LevelWarn}},
		{`{"timestamp":"2025-11-08T10:00:00Z","level":42}`, ReasonNone, Event{Time: ts, Level: LevelUnknown, LevelText: []byte("42")}},
		{`{"timestamp":"2025-11-08T10:00:00Z","msg":"caf\u00e9 \"quoted\""}`, ReasonNone, Event{Time: ts}},
		{`not json`, ReasonNotJSON, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z"`, ReasonNotJSON, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z"} trailing`, ReasonNotJSON, Event{}},
		{`[1,2,3]`, ReasonNotJSON, Event{}},
		{`"just a string"`, ReasonNotJSON, Event{}},
		{`{"level":"INFO"}`, ReasonMissingTimestamp, Event{}},
		{`{"timestamp":null}`, ReasonMissingTimestamp, Event{}},
		{`{"timestamp":"nope"}`, ReasonBadTimestamp, Event{}},
		{`{"timestamp":1762596000}`, ReasonNone, Event{Time: ts}},
		{`{"timestamp":"1762596000000"}`, ReasonNone, Event{Time: ts}},
		{`{"timestamp":true}`, ReasonBadTimestamp, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":"fast"}`, ReasonBadLatency, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":"120"}`, ReasonNone, Event{Time: ts, Latency: 120e6, HasLatency: true}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":"12x"}`, ReasonBadLatency, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":-1}`, ReasonBadLatency, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":1e300}`, ReasonBadLatency, Event{}},
		{`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":true}`, ReasonBadLatency, Event{}},
	}
	d := NewDecoder(DefaultSpec())
	for _, tt := range tests {
		got, reason := d.Decode([]byte(tt.line))
		got.Present = 0 // see TestPresence
		if reason != tt.reason {
			t.Errorf("Decode(%s) reason = %v, want %v", tt.line, reason, tt.reason)
			continue
		}
		if reason == ReasonNone && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestDecodeNestedFields(t *testing.T) {
	d := NewDecoder(Spec{Fields: Fields{Timestamp: "meta.time", Level: "log.level", Latency: "http.duration"}})
	e, r := d.Decode([]byte(`{"meta":{"time":"2025-11-08T10:00:00Z"},"log":{"level":"ERROR"},"http":{"duration":2.5}}`))
	if r != ReasonNone || e.Level != LevelError || e.Latency != 2_500_000 {
		t.Errorf("got %+v %v", e, r)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":120}`,
		`{"timestamp":"2025-11-08T10:00:00.123+02:00","level":"error","latency_ms":1.5e2}`,
		`{"timestamp":`, `{}`, `null`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	d := NewDecoder(DefaultSpec())
	f.Fuzz(func(t *testing.T, line []byte) {
		e, r := d.Decode(line)
		if r == ReasonNone && e.HasLatency && e.Latency < 0 {
			t.Errorf("negative latency %d from %q", e.Latency, line)
		}
	})
}

// The one-pass scanner and the full parser agree on every line: the scanner
// either declines or gives exactly the full parser's result. Both agree
// with encoding/json: a line is not_json exactly when it is not a JSON
// object nested at most maxDepth deep (json.Valid and '{' first), and the
// value read for a key repeated, in any spelling, is the last one, as
// json.Unmarshal reads it.
func FuzzFastPathMatchesParser(f *testing.F) {
	for _, s := range []string{
		`{"timestamp":"2025-11-08T10:00:00.123Z","level":"INFO","service":"a","status":200,"latency_ms":12.5,"bytes":10,"user_id":"u1"}`,
		`{"timestamp":1762596000,"level":"error","latency_ms":"7","service":null,"status":"503"}`,
		`{"service":"x","timestamp":"2025-11-08T10:00:00Z","service":"y","latency_ms":-0.0e+1}`,
		`{"timestamp":"2025-11-08T10:00:00Z","nested":{"a":1},"latency_ms":1}`,
		`{"timestamp":"2025-11-08T10:00:00Z","msg":"say \"hi\"","latency_ms":01}`,
		`{ "timestamp" : "2025-11-08T10:00:00Z" , "latency_ms" : 1e400 }`,
		`{"timestamp":"2025-11-08T10:00:00Z","bytes":true}`, `{}`, `{"a":}`, `[]`, `nul`,
		`{"timestamp":"2025-11-08T10:00:00Z","service":"\ud800","user_id":"\uD83D\uDE00"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","service":{"a":1},"user_id":[1]}`,
		`{"timestamp":"2025-11-08T10:00:00Z","level":30,"latency_ms":"0.001, 0.002 : -"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","level":"E","latency_ms":"1m2.5s"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","level":"caf\u00e9","latency_ms":"-"}`,
		// Not JSON (issue 23): each was an event on one path or both.
		`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":01}`,
		`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":1.2.3}`,
		`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":Inf}`,
		`{"timestamp":"2025-11-08T10:00:00Z","x":NaN}`,
		`{"timestamp":"2025-11-08T10:00:00Z","msg":"\q"}`,
		"{\"timestamp\":\"2025-11-08T10:00:00Z\",\"msg\":\"a\tb\"}",
		"{\"timestamp\":\"2025-11-08T10:00:00Z\",\"msg\":\"a\x01b\"}",
		`{"timestamp":"2025-11-08T10:00:00Z","x":{"y":[01]}}`,
		`{"timestamp":"2025-11-08T10:00:00Z"}x`,
		// Keys repeated, in several spellings: the last wins.
		`{"timestamp":"2025-11-08T10:00:00Z","service":"a","service":"b"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","servic\u0065":"a","service":"b"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","service":"a","servic\u0065":"b"}`,
		`{"timestamp":"2025-11-08T10:00:00Z","service":"a","x":"\u00e9","service":"b"}`,
		`{"status":499.99999999999999999,"timestamp":"2025-11-08T10:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	spec := DefaultSpec()
	spec.Fields.Status, spec.Fields.Bytes, spec.Fields.Distinct = "status", "bytes", "user_id"
	spec.GroupBy = []string{"service", "level"}
	fast := NewDecoder(spec)
	full := NewDecoder(spec)
	full.flatKeys = nil // always the full parser
	f.Fuzz(func(t *testing.T, line []byte) {
		e1, r1 := fast.Decode(line)
		e2, r2 := full.Decode(line)
		if r1 != r2 || !reflect.DeepEqual(e1, e2) {
			t.Errorf("%q: scanner %+v %v, parser %+v %v", line, e1, r1, e2, r2)
		}
		if valid := jsonVerdict(line); valid != (r1 != ReasonNotJSON) {
			t.Errorf("%q: %v, but encoding/json says a JSON object: %v", line, r1, valid)
		}
		if r1 == ReasonNone {
			agreeWithGo(t, line, e1)
		}
	})
}

// Any configured key is found by both paths: every length (the scanner
// files keys by length, with one class for 63 bytes and more), any bytes a
// flat line can hold unescaped, and keys that share a length or a long
// prefix with another key on the line.
func TestFastPathAnyKey(t *testing.T) {
	var keys []string
	for _, n := range []int{1, 7, 8, 9, 62, 63, 64, 65, 100, 300} {
		keys = append(keys, strings.Repeat("k", n), strings.Repeat("k", n-1)+"é", strings.Repeat("k", n-1)+"x")
	}
	keys = append(keys, " ", "a b", "ключ", "{", "}", ":", ",", "\x7f", "\x00", "\xff")
	for _, key := range keys {
		for _, other := range []string{key + "x", "k" + key, strings.Repeat("k", len(key)), "timestamp"} {
			checkKeyAgrees(t, key, other)
		}
	}
}

// The scanner and the parser agree for any configured latency key and any
// line, flat or not: the key class of TestFastPathAnyKey, fuzzed.
func FuzzFastPathAnyKey(f *testing.F) {
	f.Add("latency_ms", "status")
	f.Add(strings.Repeat("k", 64), strings.Repeat("k", 63)+"j")
	f.Add("a", "ab")
	f.Fuzz(func(t *testing.T, key, other string) {
		if key == "" || strings.ContainsAny(key, `.\"`) {
			return // a dotted path is nested; an escaped key is for the parser
		}
		checkKeyAgrees(t, key, other)
	})
}

// checkKeyAgrees decodes lines holding key (the configured latency and
// group-by field) and other, in both orders and repeated, through both
// paths, and fails when they differ or the value is not found.
func checkKeyAgrees(t *testing.T, key, other string) {
	t.Helper()
	spec := DefaultSpec()
	spec.Fields.Latency = key
	spec.GroupBy = []string{key}
	fast := NewDecoder(spec)
	full := NewDecoder(spec)
	full.flatKeys = nil
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	ts := `"timestamp":"2025-11-08T10:00:00Z"`
	for _, line := range []string{
		`{` + ts + `,` + q(key) + `:12,` + q(other) + `:34}`,
		`{` + q(other) + `:34,` + ts + `,` + q(key) + `:12}`,
		`{` + q(key) + `:56,` + q(key) + `:12,` + ts + `}`, // the last wins
	} {
		e1, r1 := fast.Decode([]byte(line))
		e2, r2 := full.Decode([]byte(line))
		if r1 != r2 || !reflect.DeepEqual(e1, e2) {
			t.Errorf("key %q, %s: scanner %+v %v, parser %+v %v", key, line, e1, r1, e2, r2)
		}
		if other != key && utf8.ValidString(key) && !strings.ContainsRune(key, 0) && r1 == ReasonNone && e1.Latency != 12e6 {
			t.Errorf("key %q, %s: latency %d, want 12ms", key, line, e1.Latency)
		}
	}
}

func TestFastPathIsUsed(t *testing.T) {
	d := NewDecoder(DefaultSpec())
	if !d.scanFlat([]byte(`{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":120,"ok":true,"x":null}`)) {
		t.Error("the scanner declined a flat line")
	}
	for _, s := range []string{`{"a":{"b":1}}`, `{"a":"\"q\""}`, `{"a":[1]}`, "{\"a\":1}\n", `{"a":01}`, `{"a":1,}`} {
		if d.scanFlat([]byte(s)) {
			t.Errorf("the scanner accepted %s", s)
		}
	}
}

// Group values are text: a string's content, a number's canonical text,
// true or false. A value that is not valid UTF-8, holds U+0000 or is the
// fold bucket's name makes the line bad_dimension. Both decoding paths agree.
func TestGroupValues(t *testing.T) {
	tests := []struct {
		raw  string // the JSON of the svc field
		want string // the group value, or "bad" for bad_dimension
	}{
		{`"a"`, "a"},
		{`"café"`, "café"},
		{`"caf\u00e9"`, "café"},
		{`"\ud83d\ude00"`, "😀"},
		{`""`, ""},
		{`null`, ""},
		{`true`, "true"},
		{`1.5`, "1.5"},
		{`1.50`, "1.5"},
		{`15e-1`, "1.5"},
		{`0.15E+1`, "1.5"},
		{`"1.5"`, "1.5"},   // a string and a number of the same text are one group
		{`"1.50"`, "1.50"}, // strings are never reinterpreted
		{`-0`, "0"},
		{`-0.0e5`, "0"},
		{`200`, "200"},
		{`2e2`, "200"},
		{`-12.3400`, "-12.34"},
		{`123456789012345678901234567890`, "1.2345678901234567890123456789e+29"},
		{`1e21`, "1e+21"},
		{`999999999999999999999`, "999999999999999999999"},
		{`0.000001`, "0.000001"},
		{`1e-7`, "1e-7"},
		{`1.0000000000000000000001`, "1.0000000000000000000001"}, // never through a float
		{`1e100000000000000`, "1e+100000000000000"},              // 15 exponent digits
		{`1e1000000000000000`, "1e1000000000000000"},             // 16: kept as written
		{`"__other__"`, "bad"},
		{`"\u005f_other__"`, "bad"},
		{`"__other__ "`, "__other__ "},
		{`"a\u0000b"`, "bad"},
		{"\"a\x00b\"", "not_json"}, // a raw control byte is not JSON
		{"\"a\xffb\"", "bad"},
		{"\"\xc3\"", "bad"},
		{`"a\u0001b"`, "a\x01b"},
		// Escapes are decoded; one that decodes to no Unicode scalar value
		// or is not JSON makes the line bad, never the escape's own text.
		{`"\uD83D\uDE00"`, "😀"},
		{`"\\ud800"`, `\ud800`}, // an escaped backslash: the 6-character text
		{`"a\ud800b"`, "bad"},
		{`"\ud800"`, "bad"},
		{`"\uD800"`, "bad"},
		{`"\udc00"`, "bad"},              // a low surrogate alone
		{`"\ude00\ud83d"`, "bad"},        // low then high
		{`"\ud83d\u0041"`, "bad"},        // high followed by a non-surrogate
		{`"\ud83d\ud83d"`, "bad"},        // high followed by high
		{`"\ud83d\n"`, "bad"},            // high followed by another escape
		{`"\ud83d"`, "bad"},              // high at the end
		{`"\ud83d\ude0"`, "not_json"},    // a short low
		{`"\u12"`, "not_json"},           // a short escape
		{`"\u00zz"`, "not_json"},         // not hex
		{`"\x41"`, "not_json"},           // not a JSON escape
		{`"\'"`, "not_json"},             // not a JSON escape
		{`"a\/b\"c\\"`, `a/b"c\`},        // the short escapes
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},   // all of them
		{`"\u0041\u00e9\u20ac"`, "Aé€"},  // 1, 2 and 3 UTF-8 bytes
		{`"\uFFFF"`, "\uffff"},           // a noncharacter is a scalar value
		{`"\u005c\u0075d800"`, `\ud800`}, // an escaped backslash, then text
		// An object or array has no text that a string could not also have.
		{`{"a":1}`, "bad"},
		{`[1,2]`, "bad"},
		{`{}`, "bad"},
		{`[]`, "bad"},
		{`"{\"a\":1}"`, `{"a":1}`},
	}
	spec := Spec{Fields: Fields{Timestamp: "ts"}, GroupBy: []string{"svc"}}
	fast := NewDecoder(spec)
	full := NewDecoder(spec)
	full.flatKeys = nil
	for _, tt := range tests {
		line := []byte(`{"ts":1762596000,"svc":` + tt.raw + `}`)
		for name, d := range map[string]*Decoder{"scanner": fast, "parser": full} {
			e, r := d.Decode(line)
			got := "bad"
			switch r {
			case ReasonNone:
				got = DecodeGroup(string(e.Group), 1)[0]
			case ReasonBadDimension:
			case ReasonNotJSON:
				got = "not_json"
			default:
				t.Fatalf("%s: %s: %v", name, line, r)
			}
			if got != tt.want {
				t.Errorf("%s: svc %s = %q, want %q", name, tt.raw, got, tt.want)
			}
		}
	}
}

// Distinct values are compared as group values are: by decoded text, the
// number's canonical text for numbers. A value without such a text makes the
// line bad_distinct. Both decoding paths agree.
func TestDistinctValues(t *testing.T) {
	tests := []struct {
		a, b string // the JSON of the user field in two lines
		same bool   // whether they are one distinct value
	}{
		{`"caf\u00e9"`, `"café"`, true},
		{`"\ud83d\ude00"`, `"\uD83D\uDE00"`, true},
		{`"\u0041"`, `"A"`, true},
		{`1.5`, `1.50`, true},
		{`1.5`, `"1.5"`, true},
		{`true`, `"true"`, true},
		{`"1.50"`, `1.5`, false},
		{`"\\ud800"`, `"\\uD800"`, false},
		{`"a"`, `"b"`, false},
		{`"\ud800"`, ``, false},
		{`"\uD800"`, ``, false},
		{`"\ud83d\u0041"`, ``, false},
		{`{"a":1}`, ``, false},
		{`[1]`, ``, false},
	}
	spec := Spec{Fields: Fields{Timestamp: "ts", Distinct: "user"}}
	fast := NewDecoder(spec)
	full := NewDecoder(spec)
	full.flatKeys = nil
	hash := func(d *Decoder, raw string) (uint64, Reason) {
		e, r := d.Decode([]byte(`{"ts":1762596000,"user":` + raw + `}`))
		return e.Distinct, r
	}
	for _, tt := range tests {
		for name, d := range map[string]*Decoder{"scanner": fast, "parser": full} {
			ha, ra := hash(d, tt.a)
			if tt.b == "" {
				if ra != ReasonBadDistinct {
					t.Errorf("%s: user %s: %v, want bad_distinct", name, tt.a, ra)
				}
				continue
			}
			hb, rb := hash(d, tt.b)
			if ra != ReasonNone || rb != ReasonNone {
				t.Errorf("%s: user %s, %s: %v, %v", name, tt.a, tt.b, ra, rb)
			} else if (ha == hb) != tt.same {
				t.Errorf("%s: user %s and %s: same = %v, want %v", name, tt.a, tt.b, ha == hb, tt.same)
			}
		}
	}
}

// appendUnescaped decodes what encoding/json decodes, and refuses what it
// refuses or would turn into U+FFFD (an unpaired surrogate). Raw control
// bytes and invalid UTF-8, which it rejects or replaces, are left out:
// strings keep those bytes, and a dimension refuses them later.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a`, `caf\u00e9`, `\ud83d\ude00`, `\ud800`, `\ud800\u0041`, `\x`, `\u12`, `a\/\"\\b`, `\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) || strings.Contains(s, `"`) {
			return
		}
		got, ok := appendUnescaped(nil, []byte(s))
		var want string
		err := json.Unmarshal([]byte(`"`+s+`"`), &want)
		switch {
		case ok && (err != nil || string(got) != want):
			t.Errorf("%q: got %q, encoding/json %q %v", s, got, want, err)
		case !ok && err == nil && !strings.ContainsRune(want, utf8.RuneError):
			t.Errorf("%q: refused, encoding/json %q", s, want)
		}
	})
}

// Canonical numbers are equal exactly when the values are, and canonical
// text is its own canonical text.
func FuzzCanonicalNumber(f *testing.F) {
	for _, s := range []string{"1.5", "1.50", "15e-1", "-0", "200", "2e2", "1e21", "1e-7", "0.000001", "123456789012345678901234567890"} {
		f.Add(s, "1.5")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ca := string(appendCanonicalNumber(nil, []byte(a)))
		cb := string(appendCanonicalNumber(nil, []byte(b)))
		if again := string(appendCanonicalNumber(nil, []byte(ca))); again != ca {
			t.Errorf("%q -> %q -> %q", a, ca, again)
		}
		_, _, _, ea, oka := splitNumber([]byte(a))
		_, _, _, eb, okb := splitNumber([]byte(b))
		if !oka || !okb || ea > 1000 || ea < -1000 || eb > 1000 || eb < -1000 {
			return
		}
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		if (ra.Cmp(rb) == 0) != (ca == cb) {
			t.Errorf("%q (%q) and %q (%q): values equal %v", a, ca, b, cb, ra.Cmp(rb) == 0)
		}
	})
}
