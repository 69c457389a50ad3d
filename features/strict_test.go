package features

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// decoders returns a decoder of spec that scans flat lines and one that
// always uses the full parser: every test of a line's verdict runs both.
func decoders(spec Spec) map[string]*Decoder {
	full := NewDecoder(spec)
	full.flatKeys = nil
	return map[string]*Decoder{"scanner": NewDecoder(spec), "parser": full}
}

// jsonVerdict is what a line is by the standard library: a JSON object
// (json.Valid and '{' first) nested at most maxDepth objects and arrays
// deep, or not_json.
func jsonVerdict(line []byte) bool {
	if !json.Valid(line) {
		return false
	}
	t := strings.TrimLeft(string(line), " \t\r\n")
	return len(t) > 0 && t[0] == '{' && tokenDepth(line) <= maxDepth
}

// tokenDepth is the nesting depth of valid JSON by encoding/json's tokens.
func tokenDepth(line []byte) int {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber() // 1e700 is a token, not an error
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			deepest = max(deepest, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// Issue 23, item 4: a line that is not a JSON object by RFC 8259 is
// not_json on both paths, whatever part of it is wrong — a number with a
// leading zero or two points, a NaN or Infinity, an escape JSON does not
// have, a raw control character in a string or key, garbage after the
// object — and whether it sits in a configured field or in one nobody
// reads. Valid lines around them stay valid.
func TestStrictJSONBothPaths(t *testing.T) {
	ts := `"timestamp":"2025-11-08T10:00:00Z"`
	bad := []string{
		`{` + ts + `,"latency_ms":01}`,
		`{` + ts + `,"latency_ms":-01}`,
		`{` + ts + `,"latency_ms":1.2.3}`,
		`{` + ts + `,"latency_ms":1.}`,
		`{` + ts + `,"latency_ms":.5}`,
		`{` + ts + `,"latency_ms":+1}`,
		`{` + ts + `,"latency_ms":1e}`,
		`{` + ts + `,"latency_ms":1e+}`,
		`{` + ts + `,"latency_ms":0x10}`,
		`{` + ts + `,"latency_ms":Inf}`,
		`{` + ts + `,"latency_ms":-Inf}`,
		`{` + ts + `,"latency_ms":inf}`,
		`{` + ts + `,"latency_ms":NaN}`,
		`{` + ts + `,"latency_ms":nan}`,
		`{` + ts + `,"latency_ms":Infinity}`,
		`{` + ts + `,"latency_ms":1,"x":01}`, // in a field nobody reads
		`{` + ts + `,"x":{"y":[1,01]}}`,      // nested, nobody reads it
		`{` + ts + `,"x":{"y":NaN}}`,
		`{` + ts + `,"msg":"a\qb"}`,
		`{` + ts + `,"msg":"a\x41"}`,
		`{` + ts + `,"msg":"a\u12"}`,
		`{` + ts + `,"msg":"a\u12zz"}`,
		`{` + ts + `,"x":{"msg":"\q"}}`,
		`{` + ts + `,"a\qb":1}`,
		"{" + ts + ",\"msg\":\"a\tb\"}", // a raw tab in a string
		"{" + ts + ",\"msg\":\"a\x01b\"}",
		"{" + ts + ",\"msg\":\"a\x1fb\"}",
		"{" + ts + ",\"msg\":\"a\x00b\"}",
		"{" + ts + ",\"msg\":\"a\nb\"}",
		"{" + ts + ",\"msg\":\"a\rb\"}",
		"{" + ts + ",\"m\tsg\":1}", // in a key
		// Before an escape, in a value and in a key (fastjson's validator
		// checks only what follows a string's last escape).
		"{" + ts + ",\"msg\":\"\x00\\b\"}",
		"{" + ts + ",\"msg\":\"a\tb\\nc\"}",
		"{" + ts + ",\"x\":[\"a\x01\\u0041\"]}",
		"{" + ts + ",\"m\x02\\\"sg\":1}",
		"{" + ts + ",\"x\":{\"msg\":\"a\tb\"}}",
		"{\"timestamp\":\"2025-11-08T10:00:00Z\t\"}",
		`{` + ts + `} trailing`,
		`{` + ts + `}}`,
		`{` + ts + `},`,
		`{` + ts + `}{}`,
		`{` + ts + `,}`,
		`{` + ts + `,"x":[1,]}`,
		`{` + ts + `,"x":[1 2]}`,
		`{` + ts + `,"x":{"a" 1}}`,
		`{` + ts + `,"x":tru}`,
		`{` + ts + `,"x":True}`,
		`{` + ts + `,"x":nul}`,
		`{` + ts + `,"x":undefined}`,
		`{` + ts + `,"x":'a'}`,
		`{` + ts + `,x:1}`,
		"{" + ts + ",\"x\":1\v}", // \v is not JSON whitespace
		"{" + ts + ",\"x\":1\f}",
		"\u00a0{" + ts + "}",
		`01`, `1.2.3`, `Inf`, `\q`, `1`, `"s"`, `[]`, `null`, ``, `{`,
		`{"timestamp":"2025-11-08T10:00:00Z"`,
		strings.Repeat(`{"a":`, maxDepth) + `{` + ts + `}` + strings.Repeat(`}`, maxDepth),
		`{` + ts + `,"x":` + strings.Repeat(`[`, maxDepth) + strings.Repeat(`]`, maxDepth) + `}`,
		`{` + ts + `,"x":` + strings.Repeat(`[`, 100000) + `}`, // deep and broken: refused, never a crash
	}
	good := []string{
		`{` + ts + `,"latency_ms":0}`,
		`{` + ts + `,"latency_ms":-0.0e-0}`,
		`{` + ts + `,"latency_ms":1E+2}`,
		`{` + ts + `,"msg":"a\/b\"c\\d\b\f\n\r\t\u00e9"}`,
		`{` + ts + `,"msg":"\ud800"}`, // a lone surrogate is valid JSON syntax
		"{" + ts + ",\"msg\":\"a\x7fb\"}",
		"{" + ts + ",\"msg\":\"caf\xc3\xa9 \xff\"}", // JSON syntax says nothing of UTF-8
		" \t\r\n{ \t\r\n" + ts + " \t\r\n, \"x\" \t\r\n: \t\r\n[ 1 , { } ] \t\r\n} \t\r\n",
		"{" + ts + ",\t\"latency_ms\":\t1}",
		`{` + ts + `,"x":` + strings.Repeat(`[`, maxDepth-1) + strings.Repeat(`]`, maxDepth-1) + `}`,
	}
	for name, d := range decoders(DefaultSpec()) {
		for _, line := range bad {
			if jsonVerdict([]byte(line)) {
				t.Fatalf("test case %q is a JSON object to encoding/json", line)
			}
			if _, r := d.Decode([]byte(line)); r != ReasonNotJSON {
				t.Errorf("%s: %.80q: %v, want not_json", name, line, r)
			}
		}
		for _, line := range good {
			if !jsonVerdict([]byte(line)) {
				t.Fatalf("test case %q is not a JSON object to encoding/json", line)
			}
			if _, r := d.Decode([]byte(line)); r != ReasonNone {
				t.Errorf("%s: %.80q: %v, want an event", name, line, r)
			}
		}
	}
}

// The steps of a pipeline read JSON by the same rule as the decoder: a
// record that is not a JSON object is not_json at the first step that
// parses it, and a string unwrap decodes must be one too.
func TestStrictJSONInSteps(t *testing.T) {
	for _, c := range []struct{ pl, in string }{
		{"unwrap:log", `{"log":"x","n":01}`},
		{"unwrap:log", `{"log":"x","n":NaN}`},
		{"unwrap:log", "{\"log\":\"a\tb\"}"},
		{"unwrap:log", `{"log":"x"} trailing`},
		{"unwrap:log", `{"log":"{\"level\":\"error\",\"n\":01}"}`},
		{"unwrap:log", `{"log":"{\"level\":\"error\",\"m\":\"\\q\"}"}`},
		{"unwrap:log", `{"log":"{\"level\":\"error\"} x"}`},
		{"explode:records", `{"records":[{"level":"error","n":Inf}]}`},
		{"keep:type=x", `{"type":"x","n":1.2.3}`},
		{"attributes:attrs", `{"attrs":[{"key":"k","value":{"intValue":01}}]}`},
		{"docker-join | unwrap:log", `{"log":"part","stream":"stdout","n":01}`},
		{"coalesce:level=severity,lvl", `{"lvl":"error","n":-01}`},
	} {
		got, bad := events(t, c.pl, "", c.in+"\n", 0)
		if len(got) != 0 || bad["not_json"] != 1 {
			t.Errorf("%s on %s: events %v, refused %v; want one not_json", c.pl, c.in, got, bad)
		}
	}
}

// Issue 23, item 4: when a key appears more than once the last value wins —
// as in Go's encoding/json, Python's json and jq — on both paths, in every
// step, whatever the spelling of either copy (escapes such as \u0061 or \/
// name the same key), and at each level of a nested path (the last "http"
// object is the one read, even when an earlier one holds the field).
func TestDuplicateKeysLastWins(t *testing.T) {
	spec := DefaultSpec()
	spec.Fields.Latency = "http.latency"
	spec.GroupBy = []string{"svc", "a/b"}
	ts := `"timestamp":"2025-11-08T10:00:00Z"`
	for _, c := range []struct {
		line string
		lat  int64 // ms; -1 absent
		svc  string
		ab   string
	}{
		{`{` + ts + `,"svc":"a","svc":"b"}`, -1, "b", ""},
		{`{` + ts + `,"s\u0076c":"a","svc":"b"}`, -1, "b", ""},
		{`{` + ts + `,"svc":"a","s\u0076c":"b"}`, -1, "b", ""},
		{`{` + ts + `,"\u0073\u0076\u0063":"a","s\u0076c":"b"}`, -1, "b", ""},
		{`{"svc":"a",` + ts + `,"svc":"b","other":"\u00e9"}`, -1, "b", ""}, // an escape elsewhere
		{`{"svc":"a",` + ts + `,"svc":"b","svc":null}`, -1, "", ""},        // a last null is absent
		{`{` + ts + `,"a/b":"x","a\/b":"y"}`, -1, "", "y"},
		{`{` + ts + `,"a\/b":"x","a/b":"y"}`, -1, "", "y"},
		{`{` + ts + `,"a\u002fb":"x","a/b":"y","a\/b":"z"}`, -1, "", "z"},
		{`{` + ts + `,"http":{"latency":1},"http":{"latency":2}}`, 2, "", ""},
		{`{` + ts + `,"http":{"latency":1,"latency":3},"h\u0074tp":{"latency":2,"l\u0061tency":4}}`, 4, "", ""},
		{`{` + ts + `,"http":{"latency":1},"http":{"status":2}}`, -1, "", ""}, // the last http has none
		{`{` + ts + `,"http":{"latency":1},"http":5}`, -1, "", ""},
		{`{"timestamp":"1999-01-01T00:00:00Z","t\u0069mestamp":"2025-11-08T10:00:00Z"}`, -1, "", ""},
	} {
		var want map[string]any
		if err := json.Unmarshal([]byte(c.line), &want); err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		if s, _ := want["svc"].(string); s != c.svc {
			t.Fatalf("test case %s: encoding/json reads svc %q", c.line, s)
		}
		for name, d := range decoders(spec) {
			e, r := d.Decode([]byte(c.line))
			if r != ReasonNone {
				t.Errorf("%s: %s: %v", name, c.line, r)
				continue
			}
			g := DecodeGroup(string(e.Group), 2)
			lat := int64(-1)
			if e.HasLatency {
				lat = e.Latency / 1e6
			}
			if lat != c.lat || g[0] != c.svc || g[1] != c.ab || e.Time != 1762596000e9 {
				t.Errorf("%s: %s: latency %d, svc %q, a/b %q, time %d; want %d, %q, %q",
					name, c.line, lat, g[0], g[1], e.Time, c.lat, c.svc, c.ab)
			}
		}
	}
	// The steps follow the rule too: each reads the last copy of the field it
	// takes apart, and the event it gives reads as the input did.
	for _, c := range []struct{ pl, in, level string }{
		{"unwrap:log", `{"log":"{\"level\":\"info\"}","log":"{\"level\":\"error\"}"}`, "error"},
		{"unwrap:log", `{"log":"{\"level\":\"info\"}","l\u006fg":"{\"level\":\"error\"}"}`, "error"},
		{"unwrap:log", `{"log":"{\"level\":\"info\",\"level\":\"error\"}"}`, "error"},
		{"unwrap:log", `{"log":"{\"level\":\"info\",\"l\\u0065vel\":\"error\"}"}`, "error"},
		{"explode:r", `{"r":[{"level":"info"}],"r":[{"level":"error"}]}`, "error"},
		{"keep:t=x | unwrap:log", `{"t":"y","t":"x","log":"{\"level\":\"error\"}"}`, "error"},
		{"coalesce:level=a,b", `{"a":"info","a":null,"b":"error"}`, "error"},
		{"attributes:attrs", `{"attrs":[{"key":"level","value":{"stringValue":"info"}}],"attrs":[{"key":"level","value":{"stringValue":"error"}}]}`, "error"},
		{"attributes:attrs", `{"attrs":[{"key":"level","key":"level","value":{"stringValue":"info"},"value":{"stringValue":"error"}}]}`, "error"},
		{"attributes:attrs", `{"attrs":[{"key":"level","value":{"stringValue":"info","stringValue":"error"}}]}`, "error"},
		{"docker-join | unwrap:log", `{"log":"{\"level\":\"info\"}\n","log":"{\"level\":\"error\"}\n","stream":"stdout"}`, "error"},
	} {
		got, bad := events(t, c.pl, "", c.in+"\n", 0)
		if len(got) != 1 || len(bad) != 0 {
			t.Errorf("%s on %s: events %v, refused %v; want one event", c.pl, c.in, got, bad)
			continue
		}
		lvl := got[0]["level"]
		if attrs, ok := got[0]["attrs"].(map[string]any); ok {
			lvl = attrs["level"]
		}
		if lvl != c.level {
			t.Errorf("%s on %s: level %v, want %s (event %v)", c.pl, c.in, lvl, c.level, got[0])
		}
	}
}

// Issue 23, item 4: status and bytes are integers read exactly, never
// through a float: a fraction that is not zero, however small, is refused,
// and an integer written with a fraction of zeros or an exponent is read.
func TestStatusAndBytesExact(t *testing.T) {
	spec := DefaultSpec()
	spec.Fields.Status, spec.Fields.Bytes = "status", "bytes"
	ts := `"timestamp":"2025-11-08T10:00:00Z"`
	for _, c := range []struct {
		status, bytes string // JSON values; "" leaves the field out
		want          Reason
		st            int32
		by            int64
	}{
		{`499.99999999999999999`, ``, ReasonBadStatus, 0, 0},
		{`"499.99999999999999999"`, ``, ReasonBadStatus, 0, 0},
		{`500.00000000000000001`, ``, ReasonBadStatus, 0, 0},
		{`999.9999999999999999`, ``, ReasonBadStatus, 0, 0},
		{`1e-400`, ``, ReasonBadStatus, 0, 0},
		{`4.99999999999999999999e2`, ``, ReasonBadStatus, 0, 0},
		{`1000`, ``, ReasonBadStatus, 0, 0},
		{`-1`, ``, ReasonBadStatus, 0, 0},
		{`"+200"`, ``, ReasonBadStatus, 0, 0},
		{`"0200"`, ``, ReasonBadStatus, 0, 0},
		{`" 200"`, ``, ReasonBadStatus, 0, 0},
		{`"0x1p4"`, ``, ReasonBadStatus, 0, 0},
		{`"inf"`, ``, ReasonBadStatus, 0, 0},
		{`true`, ``, ReasonBadStatus, 0, 0},
		{`500`, ``, ReasonNone, 500, 0},
		{`"503"`, ``, ReasonNone, 503, 0},
		{`500.000000000000000000`, ``, ReasonNone, 500, 0},
		{`5e2`, ``, ReasonNone, 500, 0},
		{`0.5e3`, ``, ReasonNone, 500, 0},
		{`50000e-2`, ``, ReasonNone, 500, 0},
		{`-0`, ``, ReasonNone, 0, 0},
		{`0e999999999999999`, ``, ReasonNone, 0, 0},
		{`999`, ``, ReasonNone, 999, 0},
		{``, `4.00000000000000000001`, ReasonBadBytes, 0, 0},
		{``, `9007199254740991.5`, ReasonBadBytes, 0, 0},
		{``, `9007199254740992`, ReasonBadBytes, 0, 0}, // 2^53
		{``, `1e100`, ReasonBadBytes, 0, 0},
		{``, `-1`, ReasonBadBytes, 0, 0},
		{``, `"12 "`, ReasonBadBytes, 0, 0},
		{``, `9007199254740991`, ReasonNone, 0, 9007199254740991},
		{``, `9007199254740991.000`, ReasonNone, 0, 9007199254740991},
		{``, `"1234"`, ReasonNone, 0, 1234},
		{``, `1.5e3`, ReasonNone, 0, 1500},
		{``, `-0.0`, ReasonNone, 0, 0},
	} {
		line := `{` + ts
		if c.status != "" {
			line += `,"status":` + c.status
		}
		if c.bytes != "" {
			line += `,"bytes":` + c.bytes
		}
		line += `}`
		for name, d := range decoders(spec) {
			e, r := d.Decode([]byte(line))
			if r != c.want || r == ReasonNone && (e.Status != c.st || e.Bytes != c.by || e.HasBytes != (c.bytes != "")) {
				t.Errorf("%s: %s: %v status %d bytes %d, want %v %d %d", name, line, r, e.Status, e.Bytes, c.want, c.st, c.by)
			}
		}
	}
}

// agreeWithGo checks a decoded line against encoding/json's reading of it:
// the group value of "service" is the string Go decodes for the last copy
// of that key, whatever its spelling.
func agreeWithGo(t *testing.T, line []byte, e Event) {
	t.Helper()
	// Numbers as text: 1e700 is JSON, though no float64 holds it.
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%q: an event, but encoding/json says %v", line, err)
	}
	got := DecodeGroup(string(e.Group), 2)[0]
	switch v := m["service"].(type) {
	case string:
		if got != v {
			t.Errorf("%q: service %q, encoding/json %q", line, got, v)
		}
	case nil:
		if got != "" {
			t.Errorf("%q: service %q, encoding/json has none", line, got)
		}
	}
}
