package features

import (
	"math/big"
	"regexp"
	"slices"
	"strings"
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
		// Offsets time.Parse takes and we do not.
		{"2025-11-08T10:00:00+24:00", ""},
		{"2025-11-08T10:00:00+23:60", ""},
		{"2025-11-08T10:00:00-12:60", ""},
		{"2025-11-08T10:00:00+23:59", "2025-11-07T10:01:00Z"},
		{"2025-11-08T1:00:00Z", ""},
		{"2025-11-08T10:00:00,5Z", ""},
		// Years: the supported range is an instant range, whatever the offset.
		{"1678-01-01T00:00:00Z", "1678-01-01T00:00:00Z"},
		{"1677-12-31T23:59:59.999999999Z", ""},
		{"1677-12-31T23:30:00-01:00", "1678-01-01T00:30:00Z"},
		{"2261-12-31T23:59:59.999999999Z", "2261-12-31T23:59:59.999999999Z"},
		{"2262-01-01T00:00:00Z", ""},
		{"2262-01-01T00:30:00+01:00", "2261-12-31T23:30:00Z"},
		{"2262-04-12T00:00:00Z", ""}, // past int64 nanoseconds: must not wrap
		{"0000-01-01T00:00:00Z", ""},
		// Leap seconds: only at 23:59:60 UTC, read as its last nanosecond.
		{"2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999999Z"},
		{"2016-12-31T23:59:60.5Z", "2016-12-31T23:59:59.999999999Z"},
		{"2017-01-01T00:59:60+01:00", "2016-12-31T23:59:59.999999999Z"},
		{"2016-12-31T18:59:60-05:00", "2016-12-31T23:59:59.999999999Z"},
		{"2016-12-31T12:00:60Z", ""},
		{"2016-12-31T23:59:61Z", ""},
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

// The parser agrees with time.Parse on everything both accept, and accepts
// nothing time.Parse refuses but leap seconds.
func FuzzParseRFC3339(f *testing.F) {
	for _, s := range []string{"2025-11-08T10:00:00Z", "2025-11-08T10:00:00.123+02:00", "2000-02-29T00:00:00.000000001-23:59", "2016-12-31T23:59:60Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := ParseRFC3339([]byte(s))
		if err != nil {
			return
		}
		ref, rerr := time.ParseInLocation(time.RFC3339Nano, strings.ReplaceAll(strings.ToUpper(s), " ", "T"), time.UTC)
		switch {
		case rerr == nil && ref.UnixNano() != ns:
			t.Errorf("%q: got %d, time.Parse %d", s, ns, ref.UnixNano())
		case rerr != nil && s[17:19] != "60":
			t.Errorf("%q: accepted, time.Parse: %v", s, rerr)
		}
	})
}

// epochText is the text ParseEpoch may accept: an optional minus, digits,
// an optional fraction and an optional exponent.
var epochText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?$`)

// ParseEpoch is exact: it gives the value of the text, as a rational
// number, scaled to nanoseconds and truncated toward zero, whenever that is
// in range, and refuses everything else.
func FuzzParseEpoch(f *testing.F) {
	for _, s := range []string{"1762596000", "1762596000.123456789", "-1", "1762596000000000000", "99999999999999999999", "1.", ".",
		"1.7626e9", "1.762596000123456789e9", "1762596000123e-3", "17625960E-1", "1e400", "-9.21456e9", "0.000000001e18"} {
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
		if !epochText.MatchString(s) {
			if err == nil {
				t.Errorf("%q: accepted", s)
			}
			return
		}
		mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
		if len(strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")) > 4 {
			return // too large for the reference; 1e+99999 is plain overflow
		}
		r, ok := new(big.Rat).SetString(strings.TrimSuffix(mant, ".") + "e" + cmpOr(exp, "0"))
		if !ok {
			t.Fatalf("reference cannot read %q", s)
		}
		whole := new(big.Int).Quo(r.Num(), r.Denom())
		whole.Abs(whole)
		scale := map[TimeFormat]int64{TimeEpochS: 1e9, TimeEpochMS: 1e6, TimeEpochUS: 1e3, TimeEpochNS: 1}[tf]
		if tf == TimeAuto {
			switch {
			case whole.Cmp(big.NewInt(1e11)) < 0:
				scale = 1e9
			case whole.Cmp(big.NewInt(1e14)) < 0:
				scale = 1e6
			case whole.Cmp(big.NewInt(1e17)) < 0:
				scale = 1e3
			default:
				scale = 1
			}
		}
		r.Mul(r, new(big.Rat).SetInt64(scale))
		want := new(big.Int).Quo(r.Num(), r.Denom()) // truncates toward zero
		if want.Cmp(big.NewInt(minUnixNano)) < 0 || want.Cmp(big.NewInt(maxUnixNano)) >= 0 {
			if err == nil {
				t.Errorf("%q: got %d, want an error (%v is out of range)", s, ns, want)
			}
			return
		}
		if err != nil || ns != want.Int64() {
			t.Errorf("%q (%v): got %d %v, want %v", s, tf, ns, err, want)
		}
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// The nginx parser agrees with time.ParseInLocation on the nginx layout on
// everything both accept, and accepts nothing else but leap seconds.
func FuzzParseNginx(f *testing.F) {
	for _, s := range []string{"17/May/2015:08:05:32 +0000", "31/Dec/1999:23:59:59 -1200", "31/Dec/2016:23:59:60 +0000", "17/may/2015:08:05:32.5 +2400", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ns, err := ParseNginx([]byte(s))
		ref, rerr := time.ParseInLocation(NginxLayout, s, time.UTC)
		if err != nil {
			return
		}
		if ns < minUnixNano || ns >= maxUnixNano {
			t.Errorf("%q: %d outside the supported range", s, ns)
		}
		switch {
		case rerr == nil && ref.UnixNano() != ns:
			t.Errorf("%q: got %d, time.ParseInLocation %d", s, ns, ref.UnixNano())
		case rerr != nil && s[18:20] != "60":
			t.Errorf("%q: accepted, time.ParseInLocation: %v", s, rerr)
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

func TestSupportedRange(t *testing.T) {
	if got := time.Unix(minUnixSec, 0).UTC(); !got.Equal(time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("minUnixSec is %v", got)
	}
	if got := time.Unix(maxUnixSec, 0).UTC(); !got.Equal(time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("maxUnixSec is %v", got)
	}
}

// decodeTime decodes {"t": raw} with the given timestamp settings and
// returns the time in RFC 3339 (UTC), or "bad" for bad_timestamp.
func decodeTime(t *testing.T, f TimeFormat, layout, zone, raw string) string {
	t.Helper()
	d := NewDecoder(Spec{Fields: Fields{Timestamp: "t"}, TimeFormat: f, TimeLayout: layout, TimeZone: zone})
	e, r := d.Decode([]byte(`{"t":` + raw + `}`))
	switch r {
	case ReasonNone:
		return time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano)
	case ReasonBadTimestamp:
		return "bad"
	}
	t.Fatalf("{\"t\":%s}: %v", raw, r)
	return ""
}

// Years outside 1678-2261 (by instant), leap seconds, offsets and epoch
// exponents are handled the same way by every timestamp format.
func TestTimestampEdges(t *testing.T) {
	const leap = "2016-12-31T23:59:59.999999999Z"
	const dmy = "02/01/2006 15:04:05"
	tests := []struct {
		f            TimeFormat
		layout, zone string
		raw, want    string
	}{
		// years
		{TimeAuto, "", "", `"1678-01-01T00:00:00Z"`, "1678-01-01T00:00:00Z"},
		{TimeAuto, "", "", `"1677-12-31T23:59:59Z"`, "bad"},
		{TimeAuto, "", "", `"2262-04-12T00:00:00Z"`, "bad"},
		{TimeRFC3339, "", "", `"9999-12-31T23:59:59Z"`, "bad"},
		{TimeNginx, "", "", `"31/Dec/2261:23:59:59 +0000"`, "2261-12-31T23:59:59Z"},
		{TimeNginx, "", "", `"01/Jan/2262:00:00:00 +0000"`, "bad"},
		{TimeNginx, "", "", `"31/Dec/1677:23:59:59 +0000"`, "bad"},
		{TimeAuto, "", "", `"01/Jan/2262:00:30:00 +0100"`, "2261-12-31T23:30:00Z"},
		{TimeLayout, "2006-01-02", "", `"2262-06-01"`, "bad"}, // UnixNano would wrap
		{TimeLayout, "2006-01-02", "", `"9999-01-01"`, "bad"},
		{TimeLayout, "2006-01-02", "", `"1677-06-01"`, "bad"},
		{TimeLayout, "2006-01-02", "", `"2261-06-01"`, "2261-06-01T00:00:00Z"},
		{TimeEpochS, "", "", `-9214560000`, "1678-01-01T00:00:00Z"},
		{TimeEpochS, "", "", `-9214560001`, "bad"},
		{TimeEpochS, "", "", `9214646399`, "2261-12-31T23:59:59Z"},
		{TimeEpochS, "", "", `9214646400`, "bad"},
		{TimeAuto, "", "", `9223372036854775807`, "bad"},
		{TimeAuto, "", "", `"-9223372036854775808"`, "bad"},
		// leap seconds
		{TimeAuto, "", "", `"2016-12-31T23:59:60Z"`, leap},
		{TimeRFC3339, "", "", `"2016-12-31T23:59:60.5Z"`, leap},
		{TimeRFC3339, "", "", `"2016-12-31T10:00:60Z"`, "bad"},
		{TimeNginx, "", "", `"31/Dec/2016:23:59:60 +0000"`, leap},
		{TimeAuto, "", "", `"01/Jan/2017:00:59:60 +0100"`, leap},
		{TimeNginx, "", "", `"31/Dec/2016:22:59:60 +0000"`, "bad"},
		{TimeLayout, dmy, "", `"31/12/2016 23:59:60"`, leap},
		{TimeLayout, dmy + ".000", "", `"31/12/2016 23:59:60.250"`, leap},
		{TimeLayout, dmy, "America/New_York", `"31/12/2016 18:59:60"`, leap},
		{TimeLayout, dmy, "America/New_York", `"31/12/2016 23:59:60"`, "bad"},
		{TimeLayout, dmy + " -0700", "", `"31/12/2016 15:59:60 -0800"`, leap},
		{TimeLayout, dmy, "", `"31/12/2016 23:59:61"`, "bad"},
		// offsets out of range
		{TimeAuto, "", "", `"2025-11-08T10:00:00+24:00"`, "bad"},
		{TimeAuto, "", "", `"2025-11-08T10:00:00+23:60"`, "bad"},
		{TimeNginx, "", "", `"08/Nov/2025:10:00:00 +2400"`, "bad"},
		{TimeNginx, "", "", `"08/Nov/2025:10:00:00 +2360"`, "bad"},
		{TimeNginx, "", "", `"08/Nov/2025:10:00:00 -1260"`, "bad"},
		{TimeNginx, "", "", `"08/Nov/2025:10:00:00 -1259"`, "2025-11-08T22:59:00Z"},
		{TimeLayout, dmy + " -0700", "", `"08/11/2025 10:00:00 +2400"`, "bad"},
		{TimeLayout, dmy + " -0700", "", `"08/11/2025 10:00:00 +2360"`, "bad"},
		{TimeLayout, dmy + " -0700", "", `"08/11/2025 10:00:00 +1260"`, "bad"},
		{TimeLayout, dmy + " -0700", "", `"08/11/2025 10:00:00 +1300"`, "2025-11-07T21:00:00Z"},
		{TimeLayout, dmy + " Z07:00", "", `"08/11/2025 10:00:00 +23:60"`, "bad"},
		{TimeLayout, dmy + " Z07:00", "", `"08/11/2025 10:00:00 Z"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, dmy + " Z07:00", "", `"08/11/2025 10:00:00 -00:00"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, dmy + " -07:00:00", "", `"08/11/2025 10:00:00 +05:30:60"`, "bad"},
		{TimeLayout, dmy + " -07:00:00", "", `"08/11/2025 10:00:00 +05:30:15"`, "2025-11-08T04:29:45Z"},
		// epochs with exponents: exact, as numbers and as strings
		{TimeAuto, "", "", `1.7626e9`, "2025-11-08T11:06:40Z"},
		{TimeAuto, "", "", `"1.7626e9"`, "2025-11-08T11:06:40Z"},
		{TimeEpochS, "", "", `1.762596000123456789e9`, "2025-11-08T10:00:00.123456789Z"},
		{TimeEpochS, "", "", `1.7625960001234567891E+9`, "2025-11-08T10:00:00.123456789Z"},
		{TimeAuto, "", "", `1762596000123e-3`, "2025-11-08T10:00:00.123Z"},
		{TimeAuto, "", "", `1.762596000123e12`, "2025-11-08T10:00:00.123Z"}, // milliseconds by magnitude
		{TimeEpochMS, "", "", `"17625960001235e-1"`, "2025-11-08T10:00:00.1235Z"},
		{TimeAuto, "", "", `1e400`, "bad"},
		{TimeAuto, "", "", `1e-400`, "1970-01-01T00:00:00Z"},
		{TimeAuto, "", "", `"1.7626e"`, "bad"},
		{TimeAuto, "", "", `"1.7626e9.5"`, "bad"},
	}
	for _, tt := range tests {
		if got := decodeTime(t, tt.f, tt.layout, tt.zone, tt.raw); got != tt.want {
			t.Errorf("format %d layout %q zone %q: %s = %s, want %s", tt.f, tt.layout, tt.zone, tt.raw, got, tt.want)
		}
	}
}

// The host's zone never changes a timestamp: every case gives the same
// instant whatever time.Local is (the time package reads zone
// abbreviations and offsets against time.Local in time.Parse).
// scripts/test.sh also runs the Timestamp and Zone tests under several TZ.
func TestTimestampZoneIgnoresHost(t *testing.T) {
	const abbr = "02/01/2006 15:04:05 MST"
	const plain = "2006-01-02 15:04:05"
	tests := []struct {
		f            TimeFormat
		layout, zone string
		raw, want    string
	}{
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 EST"`, "2025-11-08T15:00:00Z"},
		{TimeLayout, abbr, "America/New_York", `"08/07/2025 10:00:00 EDT"`, "2025-07-08T14:00:00Z"},
		{TimeLayout, abbr, "America/New_York", `"08/07/2025 10:00:00 EST"`, "2025-07-08T15:00:00Z"}, // EST is -05:00 all year
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 UTC"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 GMT"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 CET"`, "bad"},
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 IST"`, "bad"},
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 GMT+3"`, "bad"},
		{TimeLayout, abbr, "America/New_York", `"08/11/2025 10:00:00 +03"`, "bad"},
		{TimeLayout, abbr, "Asia/Kolkata", `"08/11/2025 10:00:00 IST"`, "2025-11-08T04:30:00Z"},
		{TimeLayout, abbr, "Asia/Kolkata", `"08/11/2025 10:00:00 EST"`, "bad"},
		{TimeLayout, abbr, "Europe/Istanbul", `"08/11/2025 10:00:00 +03"`, "2025-11-08T07:00:00Z"},
		{TimeLayout, abbr, "UTC", `"08/11/2025 10:00:00 EST"`, "bad"},
		{TimeLayout, abbr, "UTC", `"08/11/2025 10:00:00 UTC"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, abbr + " -0700", "", `"08/11/2025 10:00:00 EST -0500"`, "2025-11-08T15:00:00Z"},
		{TimeLayout, plain, "", `"2025-11-08 10:00:00"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, plain, "UTC", `"2025-11-08 10:00:00"`, "2025-11-08T10:00:00Z"},
		{TimeLayout, plain, "America/New_York", `"2025-11-08 10:00:00"`, "2025-11-08T15:00:00Z"},
		{TimeLayout, plain, "America/New_York", `"2025-07-08 10:00:00"`, "2025-07-08T14:00:00Z"},
		{TimeLayout, plain, "America/New_York", `"2025-11-02 01:30:00"`, "2025-11-02T05:30:00Z"}, // repeated: the first (EDT)
		{TimeLayout, plain, "America/New_York", `"2025-03-09 02:30:00"`, "2025-03-09T07:30:00Z"}, // skipped: read with EST, 03:30 EDT
		{TimeLayout, plain, "Australia/Lord_Howe", `"2025-11-08 10:00:00"`, "2025-11-07T23:00:00Z"},
		{TimeLayout, plain + " -0700", "America/New_York", `"2025-11-08 10:00:00 +0530"`, "2025-11-08T04:30:00Z"},
		{TimeNginx, "", "", `"08/Nov/2025:10:00:00 -0500"`, "2025-11-08T15:00:00Z"},
		{TimeNginx, "", "", `"08/nov/2025:10:00:00 +0530"`, "2025-11-08T04:30:00Z"},
		{TimeAuto, "", "", `"08/Nov/2025:10:00:00 +1030"`, "2025-11-07T23:30:00Z"},
		{TimeAuto, "", "", `"2025-11-08T10:00:00-05:00"`, "2025-11-08T15:00:00Z"},
		{TimeAuto, "", "", `"2025-11-08T10:00:00.1234567891+05:30"`, "2025-11-08T04:30:00.123456789Z"},
		{TimeRFC3339, "", "", `"2025-11-08 10:00:00+10:30"`, "2025-11-07T23:30:00Z"},
		{TimeAuto, "", "", `1762596000`, "2025-11-08T10:00:00Z"},
	}
	defer func(l *time.Location) { time.Local = l }(time.Local)
	for _, host := range []string{"UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Europe/Istanbul"} {
		loc, err := time.LoadLocation(host)
		if err != nil {
			t.Fatal(err)
		}
		time.Local = loc
		for _, tt := range tests {
			if got := decodeTime(t, tt.f, tt.layout, tt.zone, tt.raw); got != tt.want {
				t.Errorf("host %s, layout %q zone %q: %s = %s, want %s", host, tt.layout, tt.zone, tt.raw, got, tt.want)
			}
		}
	}
}

func TestNewLayout(t *testing.T) {
	ny, err := LoadZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		layout string
		loc    *time.Location
		ok     bool
	}{
		{"2006-01-02 15:04:05", nil, true},
		{"02/01/2006 15:04:05 MST", nil, false}, // the host would say what EST means
		{"02/01/2006 15:04:05 MST", ny, true},
		{"02/01/2006 15:04:05 MST", time.UTC, true},
		{"02/01/2006 15:04:05 -0700 MST", nil, true},
		{"Jan _2 15:04:05", nil, false}, // no year: every time would be year 0
		{"02/01/06 15:04", nil, true},
		{"3:04PMST 2006", nil, true}, // PM then "ST": no abbreviation
	}
	for _, tt := range tests {
		if _, err := NewLayout(tt.layout, tt.loc); (err == nil) != tt.ok {
			t.Errorf("NewLayout(%q, %v) = %v, want ok=%v", tt.layout, tt.loc, err, tt.ok)
		}
	}
}

func TestLoadZone(t *testing.T) {
	for name, ok := range map[string]bool{"": true, "UTC": true, "America/New_York": true, "Local": false, "Mars/Olympus_Mons": false, "EST5EDT": true} {
		if _, err := LoadZone(name); (err == nil) != ok {
			t.Errorf("LoadZone(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	if loc, _ := LoadZone(""); loc != nil {
		t.Error(`LoadZone("") is not nil (no zone)`)
	}
}

// A wall time without an offset is read in --timestamp-zone by one rule in
// every zone: one a change repeats is its first occurrence (the earlier
// instant), one a change skips is read with the offset before the change
// (the wall time plus the gap). The changes of 2025 in zones of both
// hemispheres, with 1-hour and 30-minute changes and offsets of :30 and :45.
func TestTimestampZoneChanges(t *testing.T) {
	const plain = "2006-01-02 15:04:05"
	tests := []struct {
		zone, wall, want string
	}{
		// New York: EST -5 / EDT -4; 02:00 -> 03:00 on 9 March, 02:00 -> 01:00 on 2 November.
		{"America/New_York", "2025-03-09 01:59:59", "2025-03-09T06:59:59Z"},
		{"America/New_York", "2025-03-09 02:00:00", "2025-03-09T07:00:00Z"}, // skipped: 03:00 EDT
		{"America/New_York", "2025-03-09 02:30:00", "2025-03-09T07:30:00Z"}, // skipped: 03:30 EDT
		{"America/New_York", "2025-03-09 03:00:00", "2025-03-09T07:00:00Z"},
		{"America/New_York", "2025-11-02 00:59:59", "2025-11-02T04:59:59Z"},
		{"America/New_York", "2025-11-02 01:00:00", "2025-11-02T05:00:00Z"}, // repeated: EDT
		{"America/New_York", "2025-11-02 01:30:00", "2025-11-02T05:30:00Z"}, // repeated: EDT
		{"America/New_York", "2025-11-02 01:59:59", "2025-11-02T05:59:59Z"},
		{"America/New_York", "2025-11-02 02:00:00", "2025-11-02T07:00:00Z"},
		// Berlin: CET +1 / CEST +2; 02:00 -> 03:00 on 30 March, 03:00 -> 02:00 on 26 October.
		{"Europe/Berlin", "2025-03-30 01:59:59", "2025-03-30T00:59:59Z"},
		{"Europe/Berlin", "2025-03-30 02:30:00", "2025-03-30T01:30:00Z"}, // skipped: 03:30 CEST
		{"Europe/Berlin", "2025-03-30 03:00:00", "2025-03-30T01:00:00Z"},
		{"Europe/Berlin", "2025-10-26 01:59:59", "2025-10-25T23:59:59Z"},
		{"Europe/Berlin", "2025-10-26 02:00:00", "2025-10-26T00:00:00Z"}, // repeated: CEST
		{"Europe/Berlin", "2025-10-26 02:30:00", "2025-10-26T00:30:00Z"}, // repeated: CEST
		{"Europe/Berlin", "2025-10-26 03:00:00", "2025-10-26T02:00:00Z"},
		// Lord Howe Island: +10:30 / +11, a 30-minute change; 02:00 -> 02:30
		// on 5 October, 02:00 -> 01:30 on 6 April.
		{"Australia/Lord_Howe", "2025-04-06 01:29:59", "2025-04-05T14:29:59Z"},
		{"Australia/Lord_Howe", "2025-04-06 01:45:00", "2025-04-05T14:45:00Z"}, // repeated: +11
		{"Australia/Lord_Howe", "2025-04-06 02:00:00", "2025-04-05T15:30:00Z"},
		{"Australia/Lord_Howe", "2025-10-05 01:59:59", "2025-10-04T15:29:59Z"},
		{"Australia/Lord_Howe", "2025-10-05 02:15:00", "2025-10-04T15:45:00Z"}, // skipped: 02:45 +11
		{"Australia/Lord_Howe", "2025-10-05 02:30:00", "2025-10-04T15:30:00Z"},
		// Sydney: AEST +10 / AEDT +11; 03:00 -> 02:00 on 6 April, 02:00 -> 03:00 on 5 October.
		{"Australia/Sydney", "2025-04-06 02:30:00", "2025-04-05T15:30:00Z"}, // repeated: AEDT
		{"Australia/Sydney", "2025-04-06 03:00:00", "2025-04-05T17:00:00Z"},
		{"Australia/Sydney", "2025-10-05 02:30:00", "2025-10-04T16:30:00Z"}, // skipped: 03:30 AEDT
		{"Australia/Sydney", "2025-10-05 03:00:00", "2025-10-04T16:00:00Z"},
		// Santiago: -04 / -03, changing at midnight; 00:00 -> 23:00 on 6 April,
		// 00:00 -> 01:00 on 7 September (midnight does not exist).
		{"America/Santiago", "2025-04-05 22:59:59", "2025-04-06T01:59:59Z"},
		{"America/Santiago", "2025-04-05 23:30:00", "2025-04-06T02:30:00Z"}, // repeated: -03
		{"America/Santiago", "2025-04-06 00:00:00", "2025-04-06T04:00:00Z"},
		{"America/Santiago", "2025-09-06 23:59:59", "2025-09-07T03:59:59Z"},
		{"America/Santiago", "2025-09-07 00:00:00", "2025-09-07T04:00:00Z"}, // skipped: 01:00 -03
		{"America/Santiago", "2025-09-07 00:30:00", "2025-09-07T04:30:00Z"}, // skipped: 01:30 -03
		{"America/Santiago", "2025-09-07 01:00:00", "2025-09-07T04:00:00Z"},
		// Chatham Islands: +12:45 / +13:45; 03:45 -> 02:45 on 6 April, 02:45
		// -> 03:45 on 28 September.
		{"Pacific/Chatham", "2025-04-06 02:44:59", "2025-04-05T12:59:59Z"},
		{"Pacific/Chatham", "2025-04-06 03:00:00", "2025-04-05T13:15:00Z"}, // repeated: +13:45
		{"Pacific/Chatham", "2025-04-06 03:45:00", "2025-04-05T15:00:00Z"},
		{"Pacific/Chatham", "2025-09-28 02:44:59", "2025-09-27T13:59:59Z"},
		{"Pacific/Chatham", "2025-09-28 03:00:00", "2025-09-27T14:15:00Z"}, // skipped: 04:00 +13:45
		{"Pacific/Chatham", "2025-09-28 03:45:00", "2025-09-27T14:00:00Z"},
		// Fractions keep their digits; a leap second is read in the zone.
		{"Europe/Berlin", "2025-10-26 02:30:00.25", "2025-10-26T00:30:00.25Z"},
		{"America/New_York", "2016-12-31 18:59:60", "2016-12-31T23:59:59.999999999Z"},
	}
	defer func(l *time.Location) { time.Local = l }(time.Local)
	for _, host := range []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"} {
		loc, err := time.LoadLocation(host)
		if err != nil {
			t.Fatal(err)
		}
		time.Local = loc
		layouts := map[string]*Layout{} // one per zone, through every case: its cache too
		for _, tt := range tests {
			layout := plain
			if strings.Contains(tt.wall, ".") {
				layout += ".999"
			}
			if got := decodeTime(t, TimeLayout, layout, tt.zone, `"`+tt.wall+`"`); got != tt.want {
				t.Errorf("host %s, zone %s: %s = %s, want %s", host, tt.zone, tt.wall, got, tt.want)
			}
			l := layouts[tt.zone+layout]
			if l == nil {
				zone, _ := LoadZone(tt.zone)
				l, _ = NewLayout(layout, zone)
				layouts[tt.zone+layout] = l
			}
			ns, err := l.Parse([]byte(tt.wall))
			if got := time.Unix(0, ns).UTC().Format(time.RFC3339Nano); err != nil || got != tt.want {
				t.Errorf("host %s, zone %s, a reused layout: %s = %s %v, want %s", host, tt.zone, tt.wall, got, err, tt.want)
			}
		}
	}
}

// The rule, against a brute-force reading of it, for every five minutes
// around every change of 2025 and 1970 (and a sample of other times) in
// zones with every kind of change: the earliest instant that shows the
// wall time, else (a skipped time) the wall time at the smaller of the two
// offsets around it — the one before a change forward.
func TestTimestampZoneRuleBruteForce(t *testing.T) {
	zones := []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Australia/Sydney",
		"America/Santiago", "Pacific/Chatham", "Europe/Dublin", "Africa/Casablanca", "Antarctica/Troll",
		"Asia/Tehran", "America/St_Johns", "Pacific/Apia", "Asia/Kolkata"}
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		offsetAt := func(u int64) int64 { _, off := time.Unix(u, 0).In(loc).Zone(); return int64(off) }
		wallOf := func(u int64) int64 { return u + offsetAt(u) }
		// The changes of the year, found by stepping and bisecting.
		var walls []int64
		for _, year := range []int{1970, 2011, 2025} {
			from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			to := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
			for u := from; u < to; u += 3600 {
				if offsetAt(u) == offsetAt(u+3600) {
					walls = append(walls, wallOf(u)+1234) // a sample of ordinary times
					u += 6 * 24 * 3600
					continue
				}
				lo, hi := u, u+3600 // the change is in (lo, hi]
				for hi-lo > 1 {
					if mid := (lo + hi) / 2; offsetAt(mid) == offsetAt(lo) {
						lo = mid
					} else {
						hi = mid
					}
				}
				for w := wallOf(lo) - 3*3600; w < wallOf(lo)+3*3600; w += 300 {
					walls = append(walls, w, w+59)
				}
			}
		}
		l, err := NewLayout("2006-01-02 15:04:05", loc)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range walls {
			var offs []int64
			for u := w - 20*3600; u <= w+20*3600; u += 900 {
				if o := offsetAt(u); !slices.Contains(offs, o) {
					offs = append(offs, o)
				}
			}
			want, found := int64(0), false
			for _, o := range offs {
				if c := w - o; wallOf(c) == w && (!found || c < want) {
					want, found = c, true
				}
			}
			if !found {
				want = w - slices.Min(offs)
			}
			text := time.Unix(w, 0).UTC().Format("2006-01-02 15:04:05")
			ns, err := l.Parse([]byte(text))
			if err != nil || ns != want*1e9 {
				t.Errorf("%s %s: %v %v, want %v", name, text, time.Unix(0, ns).UTC(), err, time.Unix(want, 0).UTC())
			}
		}
	}
}

// A zone abbreviation is read only in the years its zone used it: New
// York's LMT (-04:56:02) ended in 1883, so in 2025 it is bad_timestamp,
// not an offset no clock there showed.
func TestTimestampAbbreviationYears(t *testing.T) {
	const abbr = "02/01/2006 15:04:05 MST"
	tests := []struct {
		zone, raw, want string
	}{
		{"America/New_York", `"08/11/2025 10:00:00 LMT"`, "bad"},
		{"America/New_York", `"08/11/1850 10:00:00 LMT"`, "1850-11-08T14:56:02Z"},
		{"America/New_York", `"08/11/1850 10:00:00 EST"`, "bad"}, // standard time began in 1883
		{"America/New_York", `"18/11/1883 10:00:00 LMT"`, "1883-11-18T14:56:02Z"},
		{"America/New_York", `"08/11/2025 10:00:00 EST"`, "2025-11-08T15:00:00Z"},
		{"America/New_York", `"08/07/2025 10:00:00 EST"`, "2025-07-08T15:00:00Z"},
		{"America/New_York", `"08/07/2025 10:00:00 EDT"`, "2025-07-08T14:00:00Z"},
		{"America/New_York", `"08/11/1943 10:00:00 EWT"`, "1943-11-08T14:00:00Z"}, // war time, 1942-1945
		{"America/New_York", `"08/11/1941 10:00:00 EWT"`, "bad"},
		{"America/New_York", `"08/11/2025 10:00:00 EWT"`, "bad"},
		{"America/New_York", `"31/12/2025 23:30:00 EST"`, "2026-01-01T04:30:00Z"},
		{"Europe/Berlin", `"08/11/2025 10:00:00 LMT"`, "bad"},
		{"Europe/Berlin", `"08/07/2025 10:00:00 CEST"`, "2025-07-08T08:00:00Z"},
		{"Europe/Berlin", `"08/07/1945 10:00:00 CEMT"`, "1945-07-08T07:00:00Z"},
		{"Europe/Berlin", `"08/07/2025 10:00:00 CEMT"`, "bad"},
		{"Asia/Kolkata", `"08/11/2025 10:00:00 IST"`, "2025-11-08T04:30:00Z"},
		{"Asia/Kolkata", `"08/11/2025 10:00:00 UTC"`, "2025-11-08T10:00:00Z"},
		{"Asia/Kolkata", `"08/11/2025 10:00:00 GMT"`, "2025-11-08T10:00:00Z"},
	}
	for _, tt := range tests {
		if got := decodeTime(t, TimeLayout, abbr, tt.zone, tt.raw); got != tt.want {
			t.Errorf("zone %s: %s = %s, want %s", tt.zone, tt.raw, got, tt.want)
		}
	}
}
