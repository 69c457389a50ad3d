package features

import (
	"testing"
	"time"
)

func TestParseRFC3339(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 nano in UTC, or "" for an error
	}{
		{"2025-11-08T10:00:00Z", "2025-11-08T10:00:00Z"},
		{"2025-11-08T10:00:00.5Z", "2025-11-08T10:00:00.5Z"},
		{"2025-11-08T10:00:00.123456789Z", "2025-11-08T10:00:00.123456789Z"},
		{"2025-11-08T10:00:00.123+02:00", "2025-11-08T08:00:00.123Z"},
		{"2025-11-08T01:00:00-05:30", "2025-11-08T06:30:00Z"},
		{"2025-11-08t10:00:00z", "2025-11-08T10:00:00Z"},
		{"2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"},
		{"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"},
		{"2025-11-08T10:00:00.1234567891Z", "2025-11-08T10:00:00.123456789Z"}, // truncated to ns
		{"2023-02-29T00:00:00Z", ""},
		{"2025-13-01T00:00:00Z", ""},
		{"2025-11-08T24:00:00Z", ""},
		{"2025-11-08T10:00:00", ""}, // no zone
		{"2025-11-08 10:00:00Z", "2025-11-08T10:00:00Z"},
		{"2025-11-08T10:00:00.Z", ""},
		{"yesterday", ""},
		{"", ""},
		{"9999-01-01T00:00:00Z", ""}, // outside int64 nanoseconds
		{"2025-11-08T10:00:00+25:00", ""},
	}
	for _, tt := range tests {
		ns, err := ParseRFC3339([]byte(tt.in))
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseRFC3339(%q) = %v, want error", tt.in, time.Unix(0, ns).UTC())
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRFC3339(%q): %v", tt.in, err)
			continue
		}
		if got := time.Unix(0, ns).UTC().Format(time.RFC3339Nano); got != tt.want {
			t.Errorf("ParseRFC3339(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// The fast path must agree with time.Parse on everything both accept.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2025-11-08T10:00:00Z", "2025-11-08T10:00:00.123+02:00", "2000-02-29T00:00:00.000000001-23:59", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := ParseRFC3339([]byte(s))
		ref, rerr := time.Parse(time.RFC3339Nano, s)
		if err == nil && rerr == nil && ref.UnixNano() != ns {
			t.Errorf("%q: got %d, time.Parse %d", s, ns, ref.UnixNano())
		}
	})
}

func FuzzParseEpoch(f *testing.F) {
	for _, s := range []string{"1762596000", "1762596000.123456789", "-1", "1762596000000000000", "99999999999999999999", "1.", "."} {
		f.Add(s, uint8(TimeAuto))
	}
	f.Fuzz(func(t *testing.T, s string, unit uint8) {
		tf := TimeFormat(unit%5) + TimeEpochS - 1 // auto or one epoch unit
		if unit%5 == 0 {
			tf = TimeAuto
		}
		ns, err := ParseEpoch([]byte(s), tf)
		if err == nil && (ns < minUnixNano || ns >= maxUnixNano) {
			t.Errorf("%q: %d outside the supported range", s, ns)
		}
	})
}

func FuzzParseNginx(f *testing.F) {
	for _, s := range []string{"17/May/2015:08:05:32 +0000", "31/Dec/1999:23:59:59 -1200", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := ParseLayout([]byte(s), NginxLayout)
		if err == nil && (ns < minUnixNano || ns >= maxUnixNano) {
			t.Errorf("%q: %d outside the supported range", s, ns)
		}
	})
}

// The date-and-hour cache gives exactly what a fresh parse gives, whatever
// timestamp came before.
func FuzzTimeCache(f *testing.F) {
	f.Add("2025-11-08T10:00:00Z", "2025-11-08T10:59:59.999999999+01:30")
	f.Add("2025-11-08T10:00:00Z", "2025-11-08T10:61:00Z")
	f.Add("2024-02-29T23:00:00-05:00", "2024-02-29T23:00:00.Z")
	f.Fuzz(func(t *testing.T, first, second string) {
		var c timeCache
		_, _ = c.parse([]byte(first))
		got, gerr := c.parse([]byte(second))
		want, werr := ParseRFC3339([]byte(second))
		if (gerr == nil) != (werr == nil) || got != want {
			t.Errorf("after %q, %q: cache %d %v, fresh %d %v", first, second, got, gerr, want, werr)
		}
	})
}
