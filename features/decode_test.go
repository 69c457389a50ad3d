package features

import (
	"reflect"
	"testing"
	"time"
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
		{`{"timestamp":"2025-11-08T10:00:00Z","level":42}`, ReasonNone, Event{Time: ts}},
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
// either declines or gives exactly the full parser's result.
func FuzzFastPathMatchesParser(f *testing.F) {
	for _, s := range []string{
		`{"timestamp":"2025-11-08T10:00:00.123Z","level":"INFO","service":"a","status":200,"latency_ms":12.5,"bytes":10,"user_id":"u1"}`,
		`{"timestamp":1762596000,"level":"error","latency_ms":"7","service":null,"status":"503"}`,
		`{"service":"x","timestamp":"2025-11-08T10:00:00Z","service":"y","latency_ms":-0.0e+1}`,
		`{"timestamp":"2025-11-08T10:00:00Z","nested":{"a":1},"latency_ms":1}`,
		`{"timestamp":"2025-11-08T10:00:00Z","msg":"say \"hi\"","latency_ms":01}`,
		`{ "timestamp" : "2025-11-08T10:00:00Z" , "latency_ms" : 1e400 }`,
		`{"timestamp":"2025-11-08T10:00:00Z","bytes":true}`, `{}`, `{"a":}`, `[]`, `nul`,
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
	})
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
