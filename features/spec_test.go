package features

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n%s\nwant:\n%s", name, got, want)
	}
}

// The schema is a contract with training jobs: this test pins it. A change
// here must bump SchemaVersion (minor for an added column, major for a
// renamed or removed one) and be listed in docs/output.md.
func TestSchemaIsPinned(t *testing.T) {
	full := Columns{Dims: []string{"service", "method"}, Status: true, Bytes: true, Distinct: true}
	doc := map[string]any{"schema_version": SchemaVersion, "columns": full.Schema()}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "schema.golden.json", append(b, '\n'))
}

func TestParseEpoch(t *testing.T) {
	want := time.Date(2025, 11, 8, 10, 0, 0, 0, time.UTC).UnixNano()
	tests := []struct {
		in   string
		f    TimeFormat
		want int64
		ok   bool
	}{
		{"1762596000", TimeAuto, want, true},
		{"1762596000.5", TimeAuto, want + 5e8, true},
		{"1762596000000", TimeAuto, want, true},
		{"1762596000123", TimeAuto, want + 123e6, true},
		{"1762596000000000", TimeAuto, want, true},
		{"1762596000000000001", TimeAuto, want + 1, true},
		{"1762596000000", TimeEpochMS, want, true},
		{"1762596000", TimeEpochMS, want / 1000, true},
		{"-1", TimeEpochS, -1e9, true},
		{"17625960000000000000000", TimeAuto, 0, false},
		{"1e9", TimeAuto, 1e18, true}, // exponents: see TestEpochExponent
		{"12ab", TimeAuto, 0, false},
		{"", TimeAuto, 0, false},
		{".5", TimeAuto, 0, false},
	}
	for _, tt := range tests {
		got, err := ParseEpoch([]byte(tt.in), tt.f)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseEpoch(%q, %v) = %d, %v; want %d ok=%v", tt.in, tt.f, got, err, tt.want, tt.ok)
		}
	}
}

func TestDecodeRealShapes(t *testing.T) {
	base := time.Date(2015, 5, 17, 8, 5, 32, 0, time.UTC).UnixNano()
	tests := []struct {
		name string
		spec Spec
		line string
		want Event
		r    Reason
	}{
		{"nginx time_local, string request_time in seconds, status error",
			Spec{Fields: Fields{Timestamp: "time_local", Latency: "request_time", Status: "status", Bytes: "body_bytes_sent"}, LatencyUnit: "s", ErrorStatus: 500},
			`{"time_local":"17/May/2015:08:05:32 +0000","status":"502","request_time":"0.125","body_bytes_sent":"512"}`,
			Event{Time: base, Latency: 125e6, HasLatency: true, Status: 502, Bytes: 512, HasBytes: true, Level: LevelError}, ReasonNone},
		{"level wins over status",
			Spec{Fields: Fields{Timestamp: "t", Level: "lvl", Status: "code"}, ErrorStatus: 500},
			`{"t":"2015-05-17T08:05:32Z","lvl":"info","code":503}`,
			Event{Time: base, Status: 503}, ReasonNone},
		{"nanosecond latency in a nested field",
			Spec{Fields: Fields{Timestamp: "ts", Latency: "upstream.duration"}, LatencyUnit: "ns", TimeFormat: TimeRFC3339},
			`{"ts":"2015-05-17T08:05:32.000000001Z","upstream":{"duration":1500000}}`,
			Event{Time: base + 1, Latency: 1_500_000, HasLatency: true}, ReasonNone},
		{"go layout",
			Spec{Fields: Fields{Timestamp: "when"}, TimeFormat: TimeLayout, TimeLayout: "2006-01-02 15:04:05"},
			`{"when":"2015-05-17 08:05:32"}`, Event{Time: base}, ReasonNone},
		{"epoch as string, stated unit",
			Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeEpochS},
			`{"ts":"1431849932"}`, Event{Time: base}, ReasonNone},
		{"bad status", Spec{Fields: Fields{Timestamp: "ts", Status: "s"}},
			`{"ts":1431849932,"s":"OK"}`, Event{}, ReasonBadStatus},
		{"bad bytes", Spec{Fields: Fields{Timestamp: "ts", Bytes: "b"}},
			`{"ts":1431849932,"b":-5}`, Event{}, ReasonBadBytes},
		{"rfc3339 format refuses epoch", Spec{Fields: Fields{Timestamp: "ts"}, TimeFormat: TimeRFC3339},
			`{"ts":1431849932}`, Event{}, ReasonBadTimestamp},
	}
	for _, tt := range tests {
		d := NewDecoder(tt.spec)
		got, r := d.Decode([]byte(tt.line))
		got.Group, got.Present = nil, 0 // see TestGroupValues, TestPresence
		if r != tt.r || (r == ReasonNone && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("%s: got %+v %v, want %+v %v", tt.name, got, r, tt.want, tt.r)
		}
	}
}

func TestGroupKeys(t *testing.T) {
	d := NewDecoder(Spec{Fields: Fields{Timestamp: "ts"}, GroupBy: []string{"svc", "http.method", "missing", "code"}})
	e, r := d.Decode([]byte(`{"ts":1431849932,"svc":"a\u0001b","http":{"method":"GET"},"code":404}`))
	if r != ReasonNone {
		t.Fatal(r)
	}
	got := DecodeGroup(string(e.Group), 4)
	if strings.Join(got, "|") != "a\x01b|GET||404" {
		t.Errorf("group = %q", got)
	}
	if EncodeGroup(got) != string(e.Group) {
		t.Error("EncodeGroup does not invert DecodeGroup")
	}
}

func addAt(p *Partial, minute int, group string, latMS int64) {
	p.Add(&Event{Time: day + int64(minute)*int64(time.Minute), Latency: latMS * 1e6, HasLatency: latMS > 0, Group: []byte(group)})
}

func TestDenseAndSparse(t *testing.T) {
	p := NewPartial(5*time.Minute, 0)
	a, b := EncodeGroup([]string{"a"}), EncodeGroup([]string{"b"})
	addAt(p, 1, a, 10)
	addAt(p, 11, b, 0)
	opt := TableOptions{From: time.Unix(0, day).UTC(), To: time.Unix(0, day).UTC().Add(20 * time.Minute), Dense: true, Dims: 1}
	rows, err := p.Table(Window{Size: 5 * time.Minute}, opt)
	if err != nil {
		t.Fatal(err)
	}
	// 4 windows × 2 groups, zero-filled.
	if len(rows) != 8 {
		t.Fatalf("dense rows = %d, want 8", len(rows))
	}
	var got []string
	for _, r := range rows {
		rate := "null"
		if r.ErrorRate != nil {
			rate = "0"
		}
		got = append(got, r.WindowStart.Format("15:04")+"/"+r.Group[0]+"/"+string(rune('0'+r.RequestCount))+"/"+rate)
		if r.RequestCount == 0 && (r.LatencyAvg != nil || r.LatencyP99 != nil) {
			t.Errorf("empty window has latency stats: %+v", r)
		}
	}
	want := "00:00/a/1/0 00:00/b/0/null 00:05/a/0/null 00:05/b/0/null 00:10/a/0/null 00:10/b/1/0 00:15/a/0/null 00:15/b/0/null"
	if strings.Join(got, " ") != want {
		t.Errorf("dense = %s\nwant    %s", strings.Join(got, " "), want)
	}
	opt.Dense = false
	rows, _ = p.Table(Window{Size: 5 * time.Minute}, opt)
	if len(rows) != 2 {
		t.Errorf("sparse rows = %d, want 2", len(rows))
	}
}

// A 15-minute window sliding by 5 minutes equals the merge of its panes.
func TestSlidingWindows(t *testing.T) {
	p := NewPartial(PaneFor([]Window{{Size: 15 * time.Minute, Slide: 5 * time.Minute}, {Size: time.Hour, Slide: time.Hour}}), 0)
	if p.Pane() != 5*time.Minute {
		t.Fatalf("pane = %v", p.Pane())
	}
	for m := 0; m < 60; m++ {
		addAt(p, m, "", int64(m+1))
	}
	rows, err := p.Table(Window{Size: 15 * time.Minute, Slide: 5 * time.Minute}, TableOptions{
		From: time.Unix(0, day).UTC(), To: time.Unix(0, day).UTC().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 {
		t.Fatalf("rows = %d, want 12", len(rows))
	}
	for i, r := range rows {
		n := min(15, 60-5*i) // the last windows run past the data
		if r.RequestCount != int64(n) || r.WindowEnd.Sub(r.WindowStart) != 15*time.Minute {
			t.Errorf("window %v: %d requests, want %d", r.WindowStart, r.RequestCount, n)
		}
		if *r.LatencyMin != float64(5*i+1) {
			t.Errorf("window %v: min %v, want %d", r.WindowStart, *r.LatencyMin, 5*i+1)
		}
	}
	hour, _ := p.Table(Window{Size: time.Hour}, TableOptions{})
	if len(hour) != 1 || hour[0].RequestCount != 60 || *hour[0].LatencyAvg != 30.5 {
		t.Errorf("hour table = %+v", hour)
	}
	if _, err := NewPartial(10*time.Minute, 0).Table(Window{Size: 15 * time.Minute}, TableOptions{}); err == nil {
		t.Error("a window that is not a multiple of the pane was accepted")
	}
}

// Groups beyond the cap fold into __other__: memory stays bounded and every
// event is still counted.
func TestCardinalityCap(t *testing.T) {
	p := NewPartial(5*time.Minute, 10)
	for i := range 1000 {
		addAt(p, 1, EncodeGroup([]string{strings.Repeat("g", 1+i%50)}), 1)
	}
	rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{MaxGroups: 5, Dims: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[len(rows)-1].Group[0] != OtherGroup && rows[0].Group[0] != OtherGroup {
		var names []string
		for _, r := range rows {
			names = append(names, r.Group[0])
		}
		t.Fatalf("groups = %v, want 4 + __other__", names)
	}
	var total int64
	for _, r := range rows {
		total += r.RequestCount
	}
	// While reading, the pane keeps 9 groups and __other__: the 11th group
	// folds with the least busy of the first ten (the greatest key: ten g's,
	// 1 event then), and its 19 later events follow it.
	if total != 1000 || p.Counts.Folded != 820 {
		t.Errorf("total %d (want 1000), folded while reading %d (want 820: 41 of 50 groups × 20)", total, p.Counts.Folded)
	}
}

func TestDistinctCount(t *testing.T) {
	p := NewPartial(5*time.Minute, 0)
	q := NewPartial(5*time.Minute, 0)
	for i := range 20000 {
		e := Event{Time: day, Distinct: hashBytes([]byte{byte(i), byte(i >> 8), byte(i % 3)}), HasDistinct: true}
		if i%2 == 0 {
			p.Add(&e)
		} else {
			q.Add(&e)
		}
		e2 := e // duplicates do not count
		q.Add(&e2)
	}
	_ = p.Merge(q)
	r := rows(t, p)[0]
	if rel := float64(r.DistinctCount-20000) / 20000; rel > 3*DistinctRelativeError || rel < -3*DistinctRelativeError {
		t.Errorf("distinct = %d, want 20000 within 3 standard errors", r.DistinctCount)
	}
}

// A stray event decades away costs one day of windows, dense or sparse.
func TestStrayEventDoesNotExplode(t *testing.T) {
	p := NewPartial(5*time.Minute, 0)
	addAt(p, 1, "", 10)
	p.Add(&Event{Time: 0}) // 1970-01-01
	dense, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dense: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dense) != 2*288 {
		t.Errorf("dense rows = %d, want two days of 288", len(dense))
	}
	sparse, _ := p.Table(Window{Size: 15 * time.Minute, Slide: 5 * time.Minute}, TableOptions{})
	if len(sparse) != 6 {
		t.Errorf("sparse sliding rows = %d, want 3 windows per event", len(sparse))
	}
	for i := 1; i < len(sparse); i++ {
		if !sparse[i-1].WindowStart.Before(sparse[i].WindowStart) {
			t.Errorf("rows out of order at %d", i)
		}
	}
}

func TestLimitPanes(t *testing.T) {
	p := NewPartial(5*time.Minute, 0)
	p.LimitPanes(3)
	for i := range 10 {
		p.Add(&Event{Time: day + int64(i)*int64(time.Hour)})
	}
	p.Add(&Event{Time: day}) // an existing pane still counts
	if p.Panes() != 3 || p.Counts.TooManyPanes != 7 {
		t.Errorf("panes %d, too many %d; want 3 and 7", p.Panes(), p.Counts.TooManyPanes)
	}
}
