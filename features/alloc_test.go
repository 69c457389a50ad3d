package features

import "testing"

// Decoding a well-formed line allocates nothing, on every timestamp path
// and with group-by values of every kind. One exception, of the time
// package: a --timestamp-layout offset that is not a whole number of hours
// (+0530) costs a zone (3 allocations) per line; nginx and RFC 3339 do not.
func TestDecodeAllocs(t *testing.T) {
	tests := []struct {
		spec Spec
		line string
	}{
		{Spec{Fields: Fields{Timestamp: "ts"}, GroupBy: []string{"svc", "code", "ok"}},
			`{"ts":"2025-11-08T10:00:00.123Z","svc":"checkout","code":2.50e2,"ok":true}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, GroupBy: []string{"svc"}},
			`{"ts":"2025-11-08T10:00:00.123Z","svc":"caf\u00e9"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}}, `{"ts":"17/May/2015:08:05:32 +0530"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeNginx}, `{"ts":"17/May/2015:08:05:32 -0700"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}}, `{"ts":1.7625960001e9}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "2006-01-02 15:04:05.000 -0700"},
			`{"ts":"2025-11-08 10:00:00.123 +0100"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "02/01/2006 15:04:05 MST", TimeZone: "America/New_York"},
			`{"ts":"08/11/2025 10:00:00 EST"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "2006-01-02 15:04:05", TimeZone: "Asia/Kolkata"},
			`{"ts":"2025-11-08 10:00:00"}`},
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "2006-01-02 15:04:05", TimeZone: "Europe/Berlin"},
			`{"ts":"2025-10-26 02:30:00"}`}, // repeated: resolved afresh each time
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "2006-01-02 15:04:05", TimeZone: "Pacific/Chatham"},
			`{"ts":"2025-09-28 03:00:00"}`}, // skipped
		{Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeLayout, TimeLayout: "02/01/2006 15:04:05 MST", TimeZone: "America/New_York"},
			`{"ts":"08/07/2025 10:00:00 EST"}`},
	}
	for _, tt := range tests {
		d := NewDecoder(tt.spec)
		line := []byte(tt.line)
		if _, r := d.Decode(line); r != ReasonNone {
			t.Fatalf("%s: %v", tt.line, r)
		}
		if n := testing.AllocsPerRun(100, func() { d.Decode(line) }); n != 0 {
			t.Errorf("%s: %v allocations per line", tt.line, n)
		}
	}
}
