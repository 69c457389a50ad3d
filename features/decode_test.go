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
