package features

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	const bad, missing = -1, -2
	tests := []struct {
		kind valKind
		in   string
		pow  int64 // the unit: 6 is ms, 9 is s
		want int64
	}{
		// Numbers and numeric strings in the unit, rounded halves up.
		{valNumber, "120", 6, 120e6},
		{valNumber, "0.5", 6, 500_000},
		{valNumber, "1e3", 6, 1e9},
		{valNumber, "1.5E-3", 9, 1_500_000},
		{valNumber, "0.0000005", 6, 1}, // half a nanosecond: up
		{valNumber, "0.0000004999", 6, 0},
		{valNumber, "-0", 6, 0},
		{valNumber, "-0.0e5", 6, 0},
		{valNumber, "0e999999999999999999999", 6, 0},
		{valNumber, "1e-999999999999999999999", 6, 0},
		{valNumber, "4611686018427387903", 0, 1<<62 - 1},
		{valNumber, "4611686018427387904", 0, bad},
		{valNumber, "4611686018.427387904", 9, bad},
		{valNumber, "4611686018.4273879035", 9, bad}, // rounds up to 2^62
		{valNumber, "4611686018.4273879034", 9, 1<<62 - 1},
		{valNumber, "1e300", 6, bad},
		{valNumber, "-1", 6, bad},
		{valNumber, "-0.001", 6, bad},
		{valString, "0.005", 9, 5_000_000},
		{valString, "0.1", 9, 100_000_000},
		{valString, "1.", 6, 1e6}, // fastfloat's forms, as before
		{valString, ".5", 6, 500_000},
		{valString, "007", 6, 7e6},
		{valString, "123456789.123456789123456789", 0, 123456789},
		{valString, "0.3333333333333333333333333333335", 0, 0},
		{valString, "0.5000000000000000000000000000001", 0, 1},
		{valString, "", 6, bad},
		{valString, " 5", 6, bad},
		{valString, "5 ", 6, bad},
		{valString, "+5", 6, bad},
		{valString, "1e", 6, bad},
		{valString, "nan", 6, bad},
		{valString, "inf", 6, bad},
		{valString, "0x10", 6, bad},
		// Go durations, whatever the unit.
		{valString, "5ms", 9, 5e6},
		{valString, "1m2.5s", 6, 62_500_000_000},
		{valString, "300us", 6, 300_000},
		{valString, "300µs", 6, 300_000},
		{valString, "300μs", 6, 300_000},
		{valString, "1h", 6, 3600e9},
		{valString, "2ns", 6, 2},
		{valString, "1.5ns", 6, 2},
		{valString, "1h0.5m", 6, 3630e9},
		{valString, "0.000000000001h", 6, 4}, // 3.6 ns
		{valString, "+5ms", 6, 5e6},
		{valString, ".5s", 6, 5e8},
		{valString, "1.s", 6, 1e9},
		{valString, "1s1s", 6, 2e9},
		{valString, "-5ms", 6, bad},
		{valString, "-0s", 6, bad},
		{valString, "5", 0, 5}, // no unit: a number
		{valString, "5S", 6, bad},
		{valString, "5 ms", 6, bad},
		{valString, "5mss", 6, bad},
		{valString, "ms", 6, bad},
		{valString, ".s", 6, bad},
		{valString, "1.5", 6, 1_500_000},
		{valString, "2562047h47m16.854775807s", 6, bad}, // MaxInt64 ns: over 2^62
		{valString, "1281500h", 6, bad},                 // 4.6134e18 ns
		{valString, "1281000h", 6, 4_611_600_000_000_000_000},
		// Protobuf JSON / GCP.
		{valString, "0.005s", 6, 5e6},
		{valString, "1.000340012s", 6, 1_000_340_012},
		{valString, "-0.005s", 6, bad},
		// nginx lists: the sum; "-" entries add nothing; only "-" is missing.
		{valString, "0.001, 0.002", 9, 3_000_000},
		{valString, "0.001, 0.002 : 0.003", 9, 6_000_000},
		{valString, "0.001 : 0.003", 9, 4_000_000},
		{valString, "-, 0.004", 9, 4_000_000},
		{valString, "0.004, -", 9, 4_000_000},
		{valString, "- : 0.004", 9, 4_000_000},
		{valString, "0.001,  0.002", 9, 3_000_000},
		{valString, "1ms, 2ms", 9, 3_000_000},
		{valString, "-", 9, missing},
		{valString, "-, -", 9, missing},
		{valString, "- : -", 9, missing},
		{valString, "1,5", 9, bad},
		{valString, "1:30", 9, bad},
		{valString, "1 :30", 9, bad},
		{valString, "1: 30", 9, bad},
		{valString, "0.001,", 9, bad},
		{valString, "0.001, ", 9, bad},
		{valString, ", 0.001", 9, bad},
		{valString, " 0.001, 0.002", 9, bad},
		{valString, "0.001, , 0.002", 9, bad},
		{valString, "0.001, x", 9, bad},
		{valString, "0.001, -0.002", 9, bad},
		{valString, "--", 9, bad},
		{valString, "4611686018, 1", 9, bad}, // the sum is over 2^62 ns
		// Neither a number nor a string.
		{valBool, "true", 6, bad},
		{valOther, "[1,2]", 6, bad},
	}
	for _, tc := range tests {
		ns, miss, ok := parseLatency(rawVal{kind: tc.kind, b: []byte(tc.in)}, tc.pow)
		got := ns
		switch {
		case !ok:
			got = bad
		case miss:
			got = missing
		}
		if got != tc.want {
			t.Errorf("%q (10^%d ns): %d (missing %v ok %v), want %d", tc.in, tc.pow, ns, miss, ok, tc.want)
		}
	}
}

// refRound returns r rounded to the nearest integer, halves up, or false at
// 2^62 or more.
func refRound(r *big.Rat) (int64, bool) {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	n.Quo(n, new(big.Int).Mul(r.Denom(), big.NewInt(2))) // floor((2num+den)/(2den)) for r >= 0
	if n.Cmp(big.NewInt(1<<62)) >= 0 {
		return 0, false
	}
	return n.Int64(), true
}

var (
	refPart         = regexp.MustCompile(`^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)`)
	refDecimal      = regexp.MustCompile(`^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]{1,6}))?$`)
	refLongExponent = regexp.MustCompile(`[eE][+-]?[0-9]{7,}$`)
	refUnitNano     = map[string]int64{"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}
)

// refDuration reads a Go duration with big rationals: each part rounded
// to the nearest nanosecond, halves up, then summed.
func refDuration(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 200 {
		return 0, false
	}
	var total int64
	for s != "" {
		m := refPart.FindStringSubmatch(s)
		if m == nil || strings.Trim(m[1], ".") == "" {
			return 0, false
		}
		// A unit is the whole run of letters up to a digit or '.': "5mss" is not 5ms.
		if rest := s[len(m[0]):]; rest != "" && !strings.ContainsAny(rest[:1], "0123456789.") {
			return 0, false
		}
		num := m[1]
		if strings.HasPrefix(num, ".") {
			num = "0" + num
		}
		num = strings.TrimSuffix(num, ".")
		r, ok := new(big.Rat).SetString(num)
		if !ok {
			return 0, false
		}
		ns, ok := refRound(r.Mul(r, new(big.Rat).SetInt64(refUnitNano[m[2]])))
		if !ok || ns >= 1<<62-total {
			return 0, false
		}
		total += ns
		s = s[len(m[0]):]
	}
	return total, true
}

// Durations are exact: they agree with a big-rational reading, and with
// time.ParseDuration wherever it is exact (no fraction, within int64).
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5ms", "1m2.5s", "300us", "300µs", "300μs", "1h", "2ns", "0.005s", "1.000340012s",
		"0.1s", "1.5ns", ".5s", "1.s", "+3h", "-1s", "1h2m3s4ms5us6ns", "0.000000000001h", "2562047h", "1e3s", "5mss", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDuration([]byte(s))
		want, wantOK := refDuration(s)
		if len(s) > 200 {
			return // the reference's bound, not the parser's
		}
		if ok != wantOK || ok && got != want {
			t.Fatalf("%q: %d %v, reference %d %v", s, got, ok, want, wantOK)
		}
		if !strings.Contains(s, ".") {
			d, err := time.ParseDuration(s)
			if err == nil && !strings.HasPrefix(s, "-") && int64(d) < 1<<62 && s != "0" && s != "+0" && (!ok || int64(d) != got) {
				t.Fatalf("%q: %d %v, time.ParseDuration %d", s, got, ok, int64(d))
			}
		}
	})
}

// Numbers in the unit agree with a big-rational reading, rounded halves up.
func FuzzLatencyNumber(f *testing.F) {
	for _, s := range []string{"120", "0.5", "1e3", "1.5E-3", "-0", ".5", "1.", "007", "4611686018.4273879035", "1e-7", "+1"} {
		f.Add(s, uint8(6))
	}
	f.Fuzz(func(t *testing.T, s string, p uint8) {
		pow := []int64{0, 3, 6, 9}[p%4]
		got, ok := parseLatencyNumber([]byte(s), pow)
		m := refDecimal.FindStringSubmatch(s)
		if m == nil || m[2] == "" && m[3] == "" {
			if ok && !refLongExponent.MatchString(s) {
				t.Fatalf("%q: read as %d", s, got)
			}
			return
		}
		if len(s) > 200 {
			return
		}
		r, _ := new(big.Rat).SetString("0" + m[2] + "." + m[3] + "0")
		e := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(pow), nil))
		if m[4] != "" {
			x, _ := strconv.ParseInt(m[4], 10, 64)
			x += pow
			p10 := new(big.Int).Exp(big.NewInt(10), big.NewInt(max(x, -x)), nil)
			if e.SetInt(p10); x < 0 {
				e.Inv(e)
			}
		}
		want, wantOK := refRound(r.Mul(r, e))
		if m[1] == "-" && r.Sign() != 0 {
			wantOK = false
		}
		if ok != wantOK || ok && got != want {
			t.Fatalf("%q (10^%d ns): %d %v, reference %d %v", s, pow, got, ok, want, wantOK)
		}
	})
}

// The decoder reads every form on both paths; "-" leaves the field absent
// (no latency, not present), not bad.
func TestDecodeLatencyForms(t *testing.T) {
	const ts = `"timestamp":"2025-11-08T10:00:00Z"`
	spec := DefaultSpec()
	spec.Fields.Latency, spec.LatencyUnit = "rt", "s"
	for _, tc := range []struct {
		line    string
		reason  Reason
		latency int64
		has     bool
	}{
		{`{` + ts + `,"rt":"0.001, 0.002 : 0.003"}`, ReasonNone, 6e6, true},
		{`{` + ts + `,"rt":"0.005s"}`, ReasonNone, 5e6, true},
		{`{` + ts + `,"rt":"1m2.5s"}`, ReasonNone, 62.5e9, true},
		{`{` + ts + `,"rt":"300\u00b5s"}`, ReasonNone, 300e3, true},
		{`{` + ts + `,"rt":0.25}`, ReasonNone, 250e6, true},
		{`{` + ts + `,"rt":"-"}`, ReasonNone, 0, false},
		{`{` + ts + `,"rt":"-, -"}`, ReasonNone, 0, false},
		{`{` + ts + `,"rt":"-5ms"}`, ReasonBadLatency, 0, false},
		{`{` + ts + `,"rt":"1,5"}`, ReasonBadLatency, 0, false},
	} {
		for _, fast := range []bool{true, false} {
			d := NewDecoder(spec)
			if !fast {
				d.flatKeys = nil
			}
			e, r := d.Decode([]byte(tc.line))
			present := e.Present>>slotLatency&1 == 1
			if r != tc.reason || e.Latency != tc.latency || e.HasLatency != tc.has || r == ReasonNone && present != tc.has {
				t.Errorf("%s (scanner %v): %v latency %d has %v present %v, want %v %d %v", tc.line, fast, r, e.Latency, e.HasLatency, present, tc.reason, tc.latency, tc.has)
			}
		}
	}
}
