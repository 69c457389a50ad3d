package features

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCSVSpelling(t *testing.T) {
	at := time.Date(2025, 11, 8, 10, 5, 0, 0, time.UTC)
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{at, "2025-11-08T10:05:00Z"},
		{at.In(time.FixedZone("CET", 3600)), "2025-11-08T10:05:00Z"},
		{int64(0), "0"},
		{int64(-42), "-42"},
		{int64(math.MaxInt64), "9223372036854775807"},
		{0.0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1.0, "1.0"},
		{100.0, "100.0"},
		{0.014, "0.014"},
		{0.5, "0.5"},
		{2.0 / 3, "0.6666666666666666"},
		{1e-6, "0.000001"},
		{1e-7, "1e-07"},
		{1.5e-300, "1.5e-300"},
		{4611686018427.388, "4611686018427.388"},
		{1e20, "100000000000000000000.0"},
		{1e21, "1e+21"},
		{"api", "api"},
		{"", `""`},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{" padded", `" padded"`},
		{"two\nlines", "\"two\nlines\""},
		{`\.`, `"\."`},
		{"ünïcode", "ünïcode"},
	}
	for _, tt := range tests {
		got, err := appendCSVValue(nil, tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("%T %#v: got %q, %v; want %q", tt.in, tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), math.Inf(-1), at.Add(500 * time.Millisecond), []string{"x"}} {
		if got, err := appendCSVValue(nil, bad); err == nil {
			t.Errorf("%T %v: got %q, want an error", bad, bad, got)
		}
	}
}

// Every finite float64 is written so that it parses back to the same bits
// and so that Polars and DuckDB take it for a float, never an integer. The
// two patterns are Polars' own (polars-io FLOAT_RE and INTEGER_RE), which its
// read_csv uses to infer a column's type.
func TestCSVFloatsRoundTripAndLookLikeFloats(t *testing.T) {
	polarsFloat := regexp.MustCompile(`^[-+]?((\d*\.\d+)([eE][-+]?\d+)?|inf|NaN|(\d+)[eE][-+]?\d+|\d+\.)$`)
	polarsInt := regexp.MustCompile(`^-?([0-9]+)$`)
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.014, 1e-6, 1e-7, 1e21, 1e21 - 65536*2,
		math.MaxFloat64, math.SmallestNonzeroFloat64, float64(1 << 53), float64(1<<53) + 2}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		fs = append(fs, f, math.Trunc(f), float64(rng.Int64N(1e15)), float64(rng.Int64N(1e9))/1e3)
	}
	for _, f := range fs {
		b, err := appendCSVFloat(nil, f)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		s := string(b)
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(back) != math.Float64bits(f) {
			t.Fatalf("%v written as %q reads back as %v, %v", f, s, back, err)
		}
		if !polarsFloat.MatchString(s) || polarsInt.MatchString(s) {
			t.Fatalf("%v written as %q does not look like a float", f, s)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	at := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	rows := []Row{
		{WindowStart: at, WindowEnd: at.Add(5 * time.Minute), Group: []string{""}},
		{WindowStart: at.Add(5 * time.Minute), WindowEnd: at.Add(10 * time.Minute), Group: []string{"a,b"},
			RequestCount: 500, ErrorCount: 7, ErrorRate: ptr(0.014),
			LatencyAvg: ptr(100), LatencyMin: ptr(0), LatencyMax: ptr(200), LatencyStddev: ptr(1e-7),
			LatencyP50: ptr(99.5), LatencyP90: ptr(180), LatencyP95: ptr(190), LatencyP99: ptr(200),
			BytesSum: 1 << 40},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, Columns{Dims: []string{"service"}, Bytes: true}, rows); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"window_start,window_end,service,request_count,error_count,warn_count,error_rate,latency_avg_ms,latency_min_ms,latency_max_ms,latency_stddev_ms,latency_p50_ms,latency_p90_ms,latency_p95_ms,latency_p99_ms,bytes_sum",
		`2025-11-08T00:00:00Z,2025-11-08T00:05:00Z,"",0,0,0,,,,,,,,,,0`,
		`2025-11-08T00:05:00Z,2025-11-08T00:10:00Z,"a,b",500,7,0,0.014,100.0,0.0,200.0,1e-07,99.5,180.0,190.0,200.0,1099511627776`,
	}, "\n") + "\n"
	if got := buf.String(); got != want {
		t.Errorf("csv =\n%s\nwant\n%s", got, want)
	}

	rows[1].LatencyP99 = ptr(math.NaN())
	if err := WriteCSV(&bytes.Buffer{}, Columns{Dims: []string{"service"}}, rows); err == nil || !strings.Contains(err.Error(), "row 2 column latency_p99_ms") {
		t.Errorf("NaN: err = %v, want one naming row 2 and latency_p99_ms", err)
	}
}

func ptr(f float64) *float64 { return &f }
