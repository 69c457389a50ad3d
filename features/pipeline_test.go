package features

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"

	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/valyala/fastjson"
)

func TestParsePath(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"a", []string{"a"}, false},
		{"http.duration", []string{"http", "duration"}, false},
		{`"log.level"`, []string{"log.level"}, false},
		{`attributes."http.status_code"`, []string{"attributes", "http.status_code"}, false},
		{`"a.b"."c.d".e`, []string{"a.b", "c.d", "e"}, false},
		{`"q\"uote"`, []string{`q"uote`}, false},
		{`"back\\slash"`, []string{`back\slash`}, false},
		{`""`, []string{""}, false},
		{`@parent.time`, []string{"@parent", "time"}, false},
		{"a..b", nil, true},
		{".a", nil, true},
		{"a.", nil, true},
		{`"a`, nil, true},
		{`"a"b`, nil, true},
		{`a"b"`, nil, true},
		{`"a\x"`, nil, true},
		{`"a".`, nil, true},
	} {
		got, err := ParsePath(c.in)
		if (err != nil) != c.bad || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParsePath(%q) = %q, %v; want %q, bad=%v", c.in, got, err, c.want, c.bad)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"a.b", `"log.level"`, `a."b.c".d`, `"\\"`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParsePath(s)
		if err != nil || keys == nil {
			return
		}
		// Every path that parses formats back to one naming the same keys.
		again, err := ParsePath(FormatPath(keys))
		if err != nil || !slices.Equal(keys, again) {
			t.Fatalf("%q -> %q -> %q (%v)", s, keys, FormatPath(keys), err)
		}
	})
}

func TestParsePipeline(t *testing.T) {
	good := []string{
		"", "json-stream", "cri | unwrap:message", "docker-join|unwrap:log", "alb",
		"json-stream | keep:messageType=DATA_MESSAGE | explode:logEvents | unwrap:message",
		`json-stream | explode:resourceLogs | attributes:resource.attributes | keep:"a=b"=c`,
		"cloudwatch-export | unwrap:message",
		`coalesce:time=timeUnixNano,"a.b".c`,
	}
	for _, s := range good {
		p, err := ParsePipeline(s, "")
		if err != nil {
			t.Errorf("ParsePipeline(%q): %v", s, err)
			continue
		}
		again, err := ParsePipeline(p.String(), "")
		if err != nil || again.String() != p.String() {
			t.Errorf("%q renders as %q, which reads as %q (%v)", s, p.String(), again.String(), err)
		}
	}
	if p, _ := ParsePipeline(`keep:"a=b"=c`, ""); !slices.Equal(p.Steps[0].Path, []string{"a=b"}) || p.Steps[0].Value != "c" {
		t.Errorf("keep with a quoted = in its path: %+v", p.Steps[0])
	}
	for _, s := range []string{
		"bogus", "unwrap", "unwrap:", "explode:a..b", "cri | cri", "unwrap:log | cri", "json-stream | cri",
		"cri:x", "keep:a", "unwrap:log | json-stream", "json-stream:x", "regexp",
		"coalesce:time", "coalesce:a.b=c", "coalesce:t=", "coalesce:t=a..b",
		"keep:=x", "keep:=", "coalesce:=a",
	} {
		if _, err := ParsePipeline(s, ""); err == nil {
			t.Errorf("ParsePipeline(%q) succeeded; want an error", s)
		}
	}
	if _, err := ParsePipeline("unwrap:message", `(?P<payload>.*)`); err == nil {
		t.Error("a regexp without the regexp step was accepted")
	}
	for _, re := range []string{`(`, `^\S+ (.*)$`, `(?P<message>.*)`} {
		if _, err := ParsePipeline("regexp | unwrap:message", re); err == nil {
			t.Errorf("regexp %q accepted", re)
		}
	}
	p, err := ParsePipeline("regexp | unwrap:message", `^(?P<timestamp>\S+) (?P<payload>.*)$`)
	if err != nil || p.Splittable() != true {
		t.Fatalf("%v %v", p, err)
	}
	for s, want := range map[string]bool{"": true, "json-stream": false, "cri": false, "docker-join": false, "unwrap:log": true, "alb": true} {
		if p, _ := ParsePipeline(s, ""); p.Splittable() != want {
			t.Errorf("%q: Splittable = %v", s, !want)
		}
	}
}

// events runs pipeline pl over input and returns the events as parsed
// JSON (to compare them whatever their member order), and the refused
// records by reason.
func events(t *testing.T, pl string, re string, input string, maxLine int) ([]map[string]any, map[string]int) {
	t.Helper()
	p, err := ParsePipeline(pl, re)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(Spec{Fields: DefaultFields, Pipeline: p})
	var out []map[string]any
	bad := map[string]int{}
	var number func() int64
	err = d.pipelineEvents(context.Background(), iotest.OneByteReader(strings.NewReader(input)), cmp.Or(maxLine, testMaxLine), &number,
		func(b []byte) {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("a step gave invalid JSON %q: %v", b, err)
			}
			out = append(out, m)
		},
		func(r Reason, b []byte) { bad[r.String()]++ },
		func() { bad["blank"]++ })
	if err != nil {
		t.Fatal(err)
	}
	return out, bad
}

func js(s string) map[string]any {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		panic(fmt.Sprintf("%s: %v", s, err))
	}
	return m
}

func TestPipelineSteps(t *testing.T) {
	for _, c := range []struct {
		name, pl, re, in string
		want             []string
		bad              map[string]int
	}{
		{
			name: "docker json-file, JSON and text, a split line joined",
			pl:   "docker-join | unwrap:log",
			in: `{"log":"{\"level\":\"error\",\"time\":\"app\"}\n","stream":"stdout","time":"T1"}
{"log":"plain text\n","stream":"stderr","time":"T2"}
{"log":"{\"level\":","stream":"stdout","time":"T3"}
{"log":"oops\n","stream":"stderr","time":"T4"}
{"log":"\"warn\"}\n","stream":"stdout","time":"T5"}
{"log":"{\"broken\n","stream":"stdout","time":"T6"}
{"log":"tail without newline","stream":"stderr","time":"T7"}
`,
			want: []string{
				`{"level":"error","time":"app","stream":"stdout","@parent":{"stream":"stdout","time":"T1"}}`,
				`{"log":"plain text\n","stream":"stderr","time":"T2","@parent":{"stream":"stderr","time":"T2"}}`,
				`{"log":"oops\n","stream":"stderr","time":"T4","@parent":{"stream":"stderr","time":"T4"}}`,
				`{"level":"warn","stream":"stdout","time":"T3","@parent":{"stream":"stdout","time":"T3"}}`,
			},
			// The last entry's line never ends in this object: reported,
			// not counted as a line (its end may open the next file).
			bad: map[string]int{"not_json": 1, "partial_line": 1},
		},
		{
			name: "CRI partial lines per stream",
			pl:   "cri | unwrap:message",
			in: "2025-11-08T10:00:00.1Z stdout P {\"a\":\n" +
				"2025-11-08T10:00:00.2Z stderr F text \"quoted\"\n" +
				"2025-11-08T10:00:00.3Z stdout P 1,\"b\"\n" +
				"2025-11-08T10:00:00.4Z stdout F :2}\n" +
				"2025-11-08T10:00:00.5Z stdout F\n" +
				"not cri at all\n" +
				"2025-11-08T10:00:00.6Z stdout X x\n" +
				"2025-11-08T10:00:00.7Z stderr P left open\n",
			want: []string{
				`{"message":"text \"quoted\"","time":"2025-11-08T10:00:00.2Z","stream":"stderr","tag":"F","@parent":{"time":"2025-11-08T10:00:00.2Z","stream":"stderr","tag":"F"}}`,
				`{"a":1,"b":2,"time":"2025-11-08T10:00:00.1Z","stream":"stdout","tag":"F","@parent":{"time":"2025-11-08T10:00:00.1Z","stream":"stdout","tag":"F"}}`,
				`{"message":"","time":"2025-11-08T10:00:00.5Z","stream":"stdout","tag":"F","@parent":{"time":"2025-11-08T10:00:00.5Z","stream":"stdout","tag":"F"}}`,
			},
			bad: map[string]int{"bad_shape": 2, "partial_line": 1},
		},
		{
			name: "CloudWatch export",
			pl:   "cloudwatch-export | unwrap:message",
			in:   "2025-11-08T10:00:00.123Z {\"level\":\"error\"}\n2025-11-08T10:00:01.000Z GET /health 200\nnotatimestamp x\n\n",
			want: []string{
				`{"level":"error","timestamp":"2025-11-08T10:00:00.123Z","@parent":{"timestamp":"2025-11-08T10:00:00.123Z"}}`,
				`{"message":"GET /health 200","timestamp":"2025-11-08T10:00:01.000Z","@parent":{"timestamp":"2025-11-08T10:00:01.000Z"}}`,
			},
			bad: map[string]int{"bad_shape": 1, "blank": 1},
		},
		{
			name: "CloudWatch subscription documents concatenated, control message filtered",
			pl:   "json-stream | keep:messageType=DATA_MESSAGE | explode:logEvents | unwrap:message",
			in: `{"messageType":"CONTROL_MESSAGE","logEvents":[{"id":"0","timestamp":1,"message":"CWL CONTROL MESSAGE"}]}` +
				`{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[{"id":"1","timestamp":1762596000000,"message":"{\"level\":\"warn\",\"logGroup\":\"mine\"}"},{"id":"2","timestamp":1762596000001,"message":"text"}]}`,
			want: []string{
				`{"level":"warn","logGroup":"mine","id":"1","timestamp":1762596000000,"messageType":"DATA_MESSAGE","@parent":{"id":"1","timestamp":1762596000000,"messageType":"DATA_MESSAGE","logGroup":"g"}}`,
				`{"message":"text","id":"2","timestamp":1762596000001,"messageType":"DATA_MESSAGE","logGroup":"g","@parent":{"id":"2","timestamp":1762596000001,"messageType":"DATA_MESSAGE","logGroup":"g"}}`,
			},
			bad: map[string]int{"filtered": 1},
		},
		{
			name: "CloudTrail pretty-printed, empty and odd Records",
			pl:   "json-stream | explode:Records",
			in:   "{\n  \"Records\": [\n    {\"eventTime\": \"T1\", \"errorCode\": \"AccessDenied\"},\n    {\"eventTime\": \"T2\"}\n  ]\n}\n{\"Records\":[]} {\"Records\":[7]} {\"NotRecords\":1} [1] 17 {\"Records\":",
			want: []string{
				`{"eventTime":"T1","errorCode":"AccessDenied","@parent":{}}`,
				`{"eventTime":"T2","@parent":{}}`,
			},
			bad: map[string]int{"bad_shape": 2, "not_json": 3},
		},
		{
			name: "OTLP logs with resource and scope attributes",
			pl:   "json-stream | explode:resourceLogs | explode:scopeLogs | explode:logRecords | attributes:attributes | attributes:resource.attributes",
			in: `{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeLogs":[{"scope":{"name":"s"},"logRecords":[` +
				`{"timeUnixNano":"1762596000000000000","severityNumber":17,"attributes":[{"key":"http.status_code","value":{"intValue":"503"}},{"key":"ok","value":{"boolValue":false}},{"key":"d","value":{"doubleValue":1.5}},{"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"2"}]}}},{"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}},{"key":"none","value":{}}]},` +
				`{"timeUnixNano":"1762596000000000001","severityText":"INFO"}]}]}]}` + "\n",
			want: []string{
				`{"timeUnixNano":"1762596000000000000","severityNumber":17,"attributes":{"http.status_code":503,"ok":false,"d":1.5,"arr":["x",2],"kv":{"k":"v"},"none":null},"scope":{"name":"s"},"resource":{"attributes":{"service.name":"api"}},"@parent":{"scope":{"name":"s"},"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]}}}`,
				`{"timeUnixNano":"1762596000000000001","severityText":"INFO","scope":{"name":"s"},"resource":{"attributes":{"service.name":"api"}},"@parent":{"scope":{"name":"s"},"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]}}}`,
			},
			bad: map[string]int{},
		},
		{
			name: "ALB access log",
			pl:   "alb",
			in: `https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234` + "\n" +
				`http 2018-07-02T22:23:00.186641Z app/lb/1 1.2.3.4:1 - -1 -1 -1 502 - 34 366 "POST http://x/ \"q\" HTTP/1.1" "-" - - -` + "\n" +
				"garbage\n",
			want: []string{
				`{"type":"https","time":"2018-07-02T22:23:00.186641Z","elb":"app/my-loadbalancer/50dc6c495c0c9188","client:port":"192.168.131.39:2817","target:port":"10.0.0.1:80","request_processing_time":"0.086","target_processing_time":"0.048","response_processing_time":"0.037","elb_status_code":"200","target_status_code":"200","received_bytes":"0","sent_bytes":"57","request":"GET https://www.example.com:443/ HTTP/1.1","user_agent":"curl/7.46.0","ssl_cipher":"ECDHE-RSA-AES128-GCM-SHA256","ssl_protocol":"TLSv1.2","target_group_arn":"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067","trace_id":"Root=1-58337281-1d84f3d73c47ec4e58577259","domain_name":"www.example.com","chosen_cert_arn":"arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012","matched_rule_priority":"1","request_creation_time":"2018-07-02T22:22:48.364000Z","actions_executed":"authenticate,forward","redirect_url":null,"error_reason":null,"target:port_list":"10.0.0.1:80","target_status_code_list":"200","classification":null,"classification_reason":null,"conn_trace_id":"TID_1234"}`,
				`{"type":"http","time":"2018-07-02T22:23:00.186641Z","elb":"app/lb/1","client:port":"1.2.3.4:1","target:port":null,"request_processing_time":null,"target_processing_time":null,"response_processing_time":null,"elb_status_code":"502","target_status_code":null,"received_bytes":"34","sent_bytes":"366","request":"POST http://x/ \"q\" HTTP/1.1","user_agent":null,"ssl_cipher":null,"ssl_protocol":null,"target_group_arn":null}`,
			},
			bad: map[string]int{"bad_shape": 1},
		},
		{
			name: "regexp prefix",
			pl:   "regexp | unwrap:message",
			re:   `^(?P<timestamp>\S+) \[(?P<host>[^\]]*)\](?: (?P<opt>\d+))? (?P<payload>.*)$`,
			in:   "2025-11-08T10:00:00Z [h1] {\"level\":\"error\"}\n2025-11-08T10:00:00Z [h2] 7 plain\nno match\n",
			want: []string{
				`{"level":"error","timestamp":"2025-11-08T10:00:00Z","host":"h1","@parent":{"timestamp":"2025-11-08T10:00:00Z","host":"h1"}}`,
				`{"message":"plain","timestamp":"2025-11-08T10:00:00Z","host":"h2","opt":"7","@parent":{"timestamp":"2025-11-08T10:00:00Z","host":"h2","opt":"7"}}`,
			},
			bad: map[string]int{"bad_shape": 1},
		},
		{
			name: "unwrap of a field that is an object, missing, or a number",
			pl:   "unwrap:log",
			in:   `{"log":{"a":1},"b":2}` + "\n" + `{"nolog":1}` + "\n" + `{"log":5}` + "\n" + `{"log":"\ud800"}` + "\n",
			want: []string{`{"a":1,"b":2,"@parent":{"b":2}}`},
			bad:  map[string]int{"bad_shape": 3},
		},
		{
			name: "coalesce: the first value that is not missing, null, empty or zero",
			pl:   "coalesce:time=timeUnixNano,observedTimeUnixNano",
			in: `{"timeUnixNano":"5","observedTimeUnixNano":"6"}` + "\n" + `{"timeUnixNano":"0","observedTimeUnixNano":"6"}` + "\n" +
				`{"observedTimeUnixNano":7,"time":"old"}` + "\n" + `{"timeUnixNano":0}` + "\n",
			want: []string{
				`{"time":"5","timeUnixNano":"5","observedTimeUnixNano":"6"}`,
				`{"time":"6","timeUnixNano":"0","observedTimeUnixNano":"6"}`,
				`{"time":7,"observedTimeUnixNano":7}`,
				`{"timeUnixNano":0}`,
			},
		},
		{
			name: "escapes survive every step as written",
			pl:   "explode:r | unwrap:m",
			in:   `{"k\u00e9":"\ud83d\ude00","r":[{"m":"{\"lone\":\"\\ud800\",\"nl\":\"a\\nb\"}"}]}` + "\n",
			want: []string{`{"lone":"\ud800","nl":"a\nb","ké":"😀","@parent":{"ké":"😀"}}`},
			bad:  map[string]int{},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, bad := events(t, c.pl, c.re, c.in, 0)
			var want []map[string]any
			for _, w := range c.want {
				want = append(want, js(w))
			}
			if !reflect.DeepEqual(got, want) {
				for i := range max(len(got), len(want)) {
					var g, w any
					if i < len(got) {
						g = got[i]
					}
					if i < len(want) {
						w = want[i]
					}
					if !reflect.DeepEqual(g, w) {
						t.Errorf("event %d:\n got %v\nwant %v", i, g, w)
					}
				}
			}
			if c.bad == nil {
				c.bad = map[string]int{}
			}
			if !reflect.DeepEqual(bad, c.bad) {
				t.Errorf("refused %v, want %v", bad, c.bad)
			}
		})
	}
}

// TestPipelineEscapesRaw checks the exact bytes of an escape the decoder
// must tell apart: a lone surrogate escaped in the inner document stays an
// escape (bad_dimension), never the text of another string.
func TestPipelineEscapesRaw(t *testing.T) {
	p, _ := ParsePipeline("unwrap:log", "")
	spec := Spec{Fields: Fields{Timestamp: "t"}, GroupBy: []string{"g"}, Pipeline: p}
	var part *Partial
	for _, c := range []struct {
		line string
		want Reason
	}{
		{`{"log":"{\"t\":\"2025-11-08T10:00:00Z\",\"g\":\"\\ud800\"}"}`, ReasonBadDimension},
		{`{"log":"{\"t\":\"2025-11-08T10:00:00Z\",\"g\":\"\\\\ud800\"}"}`, ReasonNone},
	} {
		part = NewPartial(5*60e9, 0)
		d := NewDecoder(spec)
		if err := Ingest(context.Background(), strings.NewReader(c.line+"\n"), d, part, IngestOptions{MaxLine: testMaxLine}); err != nil {
			t.Fatal(err)
		}
		if c.want == ReasonNone && part.Counts.Events != 1 || c.want != ReasonNone && part.Counts.Bad[c.want] != 1 {
			t.Errorf("%s: counts %+v, want %v", c.line, part.Counts.Bad, c.want)
		}
	}
}

// randomJSON returns a random JSON value, objects and arrays nested,
// strings holding brackets, quotes and escapes.
func randomJSON(r *rand.Rand, depth int) string {
	switch k := r.IntN(7); {
	case depth > 3 || k == 0:
		return []string{`1`, `-2.5e3`, `true`, `null`, `"x"`}[r.IntN(5)]
	case k == 1:
		return []string{`"{"`, `"}]["`, `"a\"b"`, `"\\"`, `"\u007b"`, `"é"`}[r.IntN(6)]
	case k <= 4:
		var b strings.Builder
		b.WriteByte('{')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d"%s:%s%s`, i, ws(r), ws(r), randomJSON(r, depth+1))
		}
		b.WriteByte('}')
		return b.String()
	default:
		var b strings.Builder
		b.WriteByte('[')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString("," + ws(r))
			}
			b.WriteString(randomJSON(r, depth+1))
		}
		b.WriteByte(']')
		return b.String()
	}
}

func ws(r *rand.Rand) string { return []string{"", " ", "\n", "\t", "\r\n  ", ""}[r.IntN(6)] }

// TestValueReaderFramesConcatenatedValues: any sequence of objects and
// arrays, joined by any whitespace or none, read in any chunking, comes
// back value by value.
func TestValueReaderFramesConcatenatedValues(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		var vals []string
		var in strings.Builder
		if r.IntN(4) == 0 {
			in.WriteString("\ufeff")
		}
		for range r.IntN(6) {
			v := randomJSON(r, 0)
			if v[0] != '{' && v[0] != '[' {
				v = "{" + `"v":` + v + "}"
			}
			vals = append(vals, v)
			in.WriteString(v)
			in.WriteString(ws(r))
		}
		var src = strings.NewReader(in.String())
		var vr *ValueReader
		switch trial % 3 {
		case 0:
			vr = NewValueReader(iotest.OneByteReader(src), 1<<20)
		case 1:
			vr = NewValueReader(iotest.HalfReader(src), 1<<20)
		default:
			vr = NewValueReader(src, 1<<20)
		}
		var got []string
		for {
			b, err := vr.Next()
			if err != nil {
				break
			}
			got = append(got, string(b))
		}
		if !slices.Equal(got, vals) {
			t.Fatalf("input %q:\n got %q\nwant %q", in.String(), got, vals)
		}
		for _, v := range vals {
			if !json.Valid([]byte(v)) {
				t.Fatalf("generator wrote invalid JSON %q", v)
			}
		}
	}
}

func TestValueReaderLimitsAndGarbage(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 5000) + `"}`
	in := `{"a":1}` + big + ` junk {"b":[1,{"c":"}"}]} "str ing" 12 {"cut":`
	vr := NewValueReader(iotest.OneByteReader(strings.NewReader(in)), 1024)
	var got []string
	tooLong := 0
	for {
		b, err := vr.Next()
		if err == ErrLineTooLong {
			tooLong++
			continue
		}
		if err != nil {
			break
		}
		got = append(got, string(b))
	}
	want := []string{`{"a":1}`, `junk`, `{"b":[1,{"c":"}"}]}`, `"str ing"`, `12`, `{"cut":`}
	if !slices.Equal(got, want) || tooLong != 1 {
		t.Fatalf("got %q (%d too long), want %q (1)", got, tooLong, want)
	}
	if vr.Number() != 7 {
		t.Errorf("Number = %d, want 7", vr.Number())
	}
}

func FuzzValueReader(f *testing.F) {
	for _, s := range []string{`{"a":1}{"b":2}`, "{\n \"a\": [1,\n2]\n}\n", `{"a":"}"} x [`, "\ufeff{}", `"\\"`} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, chunk uint8) {
		var src = iotest.OneByteReader(strings.NewReader(s))
		if chunk%2 == 1 {
			src = strings.NewReader(s)
		}
		vr := NewValueReader(src, 1024)
		rest := s
		for {
			b, err := vr.Next()
			if err == ErrLineTooLong {
				return // the bytes skipped are not returned
			}
			if err != nil {
				break
			}
			if len(b) == 0 {
				t.Fatalf("an empty record from %q", s)
			}
			// Records are the input's bytes in order, apart from the
			// whitespace and byte-order marks between them.
			rest = trimSpaceAndMarks(rest)
			if !strings.HasPrefix(rest, string(b)) {
				t.Fatalf("record %q is not next in %q", b, rest)
			}
			rest = rest[len(b):]
		}
		if trimSpaceAndMarks(rest) != "" {
			t.Fatalf("left unread: %q", rest)
		}
	})
}

func trimSpaceAndMarks(s string) string {
	for {
		t := strings.TrimLeft(s, " \t\r\n")
		t = strings.TrimPrefix(t, "\ufeff")
		if t == s {
			return s
		}
		s = t
	}
}

// FuzzPipeline feeds any bytes through every step: it never panics, every
// event is one JSON object, and every record is an event or refused.
func FuzzPipeline(f *testing.F) {
	f.Add("docker-join | unwrap:log", `{"log":"{\"a\":1}\n","stream":"x"}`+"\n")
	f.Add("cri | unwrap:message", "2025-11-08T10:00:00Z stdout P {\"a\"\n2025-11-08T10:00:00Z stdout F :1}\n")
	f.Add("json-stream | explode:r | attributes:attributes", `{"r":[{"attributes":[{"key":"k","value":{"intValue":"1"}}]}]}`)
	f.Add("alb", `http 2018-07-02T22:23:00Z a b c 1 2 3 200 200 0 57 "GET / HTTP/1.1" "ua" - -`)
	f.Add("cloudwatch-export | unwrap:message", "2025-11-08T10:00:00Z {\"a\":\"b\"}\n")
	f.Add("json-stream | keep:t=x | explode:e | unwrap:m", `{"t":"x","e":[{"m":"{}"}]}`)
	f.Add("coalesce:t=a,b.c", `{"a":0,"b":{"c":"x"},"t":1}`)
	f.Fuzz(func(t *testing.T, pl, in string) {
		p, err := ParsePipeline(pl, "")
		if err != nil || len(p.Steps) == 0 {
			return // no step: the records are the input's, whatever they are
		}
		d := NewDecoder(Spec{Fields: DefaultFields, Pipeline: p})
		var number func() int64
		_ = d.pipelineEvents(context.Background(), strings.NewReader(in), 4096, &number,
			func(b []byte) {
				// Every event is an object the decoder's parser reads.
				v, err := (&fastjson.Parser{}).ParseBytes(b)
				if err != nil || v.Type() != fastjson.TypeObject {
					t.Fatalf("%s gave %q: %v", pl, b, err)
				}
			},
			func(Reason, []byte) {}, func() {})
	})
}

// TestDottedKeysBothPaths: a quoted key holding dots names that literal
// key, on the flat scanner and on the full parser alike, at the top level
// and nested; the same dots unquoted still mean nesting.
func TestDottedKeysBothPaths(t *testing.T) {
	for _, c := range []struct {
		level string // the level path
		line  string
		want  Level
	}{
		{`"log.level"`, `{"@timestamp":"2025-11-08T10:00:00Z","log.level":"error"}`, LevelError},
		{`"log.level"`, `{"@timestamp":"2025-11-08T10:00:00Z","log":{"level":"error"}}`, LevelOther},
		{`log.level`, `{"@timestamp":"2025-11-08T10:00:00Z","log":{"level":"error"}}`, LevelError},
		{`log.level`, `{"@timestamp":"2025-11-08T10:00:00Z","log.level":"error"}`, LevelOther},
		{`a."b.c"`, `{"@timestamp":"2025-11-08T10:00:00Z","a":{"b.c":"warn","b":{"c":"error"}}}`, LevelWarn},
		{`"a.b".c`, `{"@timestamp":"2025-11-08T10:00:00Z","a.b":{"c":"warn"},"a":{"b":{"c":"error"}}}`, LevelWarn},
		{`"q\"k"`, `{"@timestamp":"2025-11-08T10:00:00Z","q\"k":"error"}`, LevelError},
	} {
		spec := Spec{Fields: Fields{Timestamp: "@timestamp", Level: c.level}, GroupBy: []string{c.level}}
		fast, full := NewDecoder(spec), NewDecoder(spec)
		full.flatKeys = nil
		e1, r1 := fast.Decode([]byte(c.line))
		e2, r2 := full.Decode([]byte(c.line))
		if r1 != ReasonNone || r2 != ReasonNone || e1.Level != c.want || e2.Level != c.want ||
			!bytes.Equal(e1.Group, e2.Group) {
			t.Errorf("%s in %s: scanner %v %v, parser %v %v; want %v", c.level, c.line, e1.Level, r1, e2.Level, r2, c.want)
		}
	}
	if got := DimColumn(`"log.level"`); got != "log_level" {
		t.Errorf("DimColumn = %q", got)
	}
}

// TestJoinsOverTheLimit: a joined line over the limit is one
// line_too_long and nothing else, whether its parts add up past the
// limit or one physical part is itself too long (the reader skips it
// without buffering it: the joins learn its stream from its head, CRI, or
// its tail, Docker), first, in the middle or last; the other stream's
// line is untouched.
func TestJoinsOverTheLimit(t *testing.T) {
	cri := func(stream, tag, s string) string {
		return "2025-11-08T10:00:00Z " + stream + " " + tag + " " + s + "\n"
	}
	dk := func(stream, s string) string {
		return `{"log":"` + s + `","stream":"` + stream + `","time":"2025-11-08T10:00:00Z"}` + "\n"
	}
	long := strings.Repeat("y", 2000)
	for _, c := range []struct{ name, pl, in string }{
		{"cri long part first", "cri | unwrap:message", cri("stdout", "P", long) + cri("stderr", "P", `{"level":`) + cri("stdout", "F", "a") + cri("stderr", "F", `"ok"}`)},
		{"cri long part middle", "cri | unwrap:message", cri("stdout", "P", "a") + cri("stderr", "P", `{"level":`) + cri("stdout", "P", long) + cri("stdout", "F", "b") + cri("stderr", "F", `"ok"}`)},
		{"cri long part last", "cri | unwrap:message", cri("stdout", "P", "a") + cri("stderr", "P", `{"level":`) + cri("stdout", "F", long) + cri("stderr", "F", `"ok"}`)},
		{"docker long part first", "docker-join | unwrap:log", dk("stdout", long) + dk("stderr", `{\"level\":`) + dk("stdout", `a\n`) + dk("stderr", `\"ok\"}\n`)},
		{"docker long part middle", "docker-join | unwrap:log", dk("stdout", "a") + dk("stderr", `{\"level\":`) + dk("stdout", long) + dk("stdout", `b\n`) + dk("stderr", `\"ok\"}\n`)},
		{"docker long part last", "docker-join | unwrap:log", dk("stdout", "a") + dk("stderr", `{\"level\":`) + dk("stdout", long+`\n`) + dk("stderr", `\"ok\"}\n`)},
		{"docker long whole line, then a new line", "docker-join | unwrap:log", dk("stderr", `{\"level\":`) + dk("stdout", long+`\n`) + dk("stdout", `x`) + dk("stdout", `y\n`) + dk("stderr", `\"ok\"}\n`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, bad := events(t, c.pl, "", c.in, 1024)
			want := 1
			if strings.Contains(c.name, "then a new line") {
				want = 2
			}
			levels := 0
			for _, e := range got {
				if e["level"] == "ok" {
					levels++
				}
			}
			if len(got) != want || levels != 1 || bad["line_too_long"] != 1 || len(bad) != 1 {
				t.Errorf("events %v, refused %v; want %d events (the stderr line whole) and one line_too_long", got, bad, want)
			}
		})
	}
}
