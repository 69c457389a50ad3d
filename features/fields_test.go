package features

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Presence counts, per configured field, the aggregated events in which it
// had a value, across partials and through the partial encoding. Events
// outside the range are never written, so their fields do not count: a
// field seen only there (bytes here) is missing from everything committed.
func TestPresence(t *testing.T) {
	spec := Spec{
		Fields:  Fields{Timestamp: "ts", Level: "level", Latency: "lat", Status: "status", Bytes: "size", Distinct: "user"},
		GroupBy: []string{"svc", "http.method"}, LatencyUnit: "ms",
	}
	lines := []string{
		`{"ts":"2025-11-08T10:00:00Z","level":"info","lat":1,"svc":"a","user":"u1"}`,
		`{"ts":"2025-11-08T10:00:01Z","level":42,"lat":null,"svc":null,"http":{"method":"GET"}}`,
		`{"ts":"2025-11-08T10:00:02Z","lat":"2","svc":"b","user":null}`,
		`{"ts":"2025-11-09T10:00:02Z","lat":3,"svc":"c","size":9}`, // outside the range: an event, not aggregated
		`{"ts":"2025-11-07T23:59:59Z","size":9,"user":"u2"}`,       // before it
		`{"ts":"2025-11-08T10:00:03Z","status":"OK"}`,              // bad_status: no event
		`{"lat":5}`, // missing_timestamp: no event
	}
	parts := make([]*Partial, 2)
	d := NewDecoder(spec)
	for i := range parts {
		parts[i] = NewPartial(defaultWindow, 0)
		parts[i].Restrict(time.Unix(0, day), time.Unix(0, day).Add(24*time.Hour))
		var in bytes.Buffer
		for j, l := range lines {
			if j%2 == i {
				in.WriteString(l + "\n")
			}
		}
		if err := Ingest(context.Background(), &in, d, parts[i], IngestOptions{MaxLine: testMaxLine}); err != nil {
			t.Fatal(err)
		}
		b, err := parts[i].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if parts[i], err = UnmarshalPartial(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := parts[0].Merge(parts[1]); err != nil {
		t.Fatal(err)
	}
	c := parts[0].Counts
	want := []FieldPresence{
		{"level", "level", 2}, {"latency", "lat", 2}, {"status", "status", 0}, {"bytes", "size", 0},
		{"distinct", "user", 1}, {"group_by", "svc", 2}, {"group_by", "http.method", 1},
	}
	if got := c.Presence(spec); c.Events != 5 || c.Aggregated() != 3 || !reflect.DeepEqual(got, want) {
		t.Errorf("events %d, aggregated %d, presence\n%v\nwant\n%v", c.Events, c.Aggregated(), got, want)
	}
	spec.Fields.Level, spec.Fields.Bytes = "", ""
	if got := c.Presence(spec); len(got) != 5 || got[0].Role != "latency" {
		t.Errorf("disabled fields listed: %v", got)
	}
}

// An event dropped beyond the pane limit is not aggregated either: its
// fields do not count.
func TestPresenceBeyondPaneLimit(t *testing.T) {
	p := NewPartial(defaultWindow, 0)
	p.LimitPanes(1)
	p.Add(&Event{Time: day, Present: 1 << slotLevel})
	p.Add(&Event{Time: day + int64(time.Hour), Present: 1<<slotLevel | 1<<slotLatency})
	c := p.Counts
	if c.TooManyPanes != 1 || c.Present[slotLevel] != 1 || c.Present[slotLatency] != 0 {
		t.Errorf("too many panes %d, level %d, latency %d; want 1, 1, 0", c.TooManyPanes, c.Present[slotLevel], c.Present[slotLatency])
	}
}

// Partials of version 2, which had no presence counts, of version 3,
// which counted them in out-of-range events too, of version 4, which had
// no unknown levels, and of version 5, without the neighbouring dates'
// counts, of version 7 (every cell a sketch), and of version 8 (the
// sketch library's own encoding), are refused, not read as
// if no field had ever appeared, as if
// one had, as if every level were known or no event of another date.
func TestPartialVersion(t *testing.T) {
	p := NewPartial(defaultWindow, 0)
	p.Add(&Event{Time: day, Present: 1 << slotLatency})
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("LSPARTv9")) {
		t.Fatalf("magic %q", b[:8])
	}
	for _, v := range []string{"LSPARTv2", "LSPARTv3", "LSPARTv4", "LSPARTv5", "LSPARTv6", "LSPARTv7", "LSPARTv8"} {
		old := append([]byte(v), b[8:]...)
		if _, err := UnmarshalPartial(old); err == nil || !strings.Contains(err.Error(), "v9") {
			t.Errorf("a %s partial: %v", v, err)
		}
	}
}
