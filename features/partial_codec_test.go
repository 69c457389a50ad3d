package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A partial survives encoding: merging decoded partials gives the same table
// as merging the originals, and the same partial encodes to the same bytes.
func TestPartialRoundTrip(t *testing.T) {
	build := func() []*Partial {
		parts := []*Partial{NewPartial(5*time.Minute, 50), NewPartial(5*time.Minute, 50)}
		// Out-of-range events on both sides, some near the range.
		for _, p := range parts {
			p.Restrict(time.Unix(0, day), time.Unix(0, day).Add(90*time.Minute))
			p.Near(time.Unix(0, day).Add(-30*time.Minute), time.Unix(0, day).Add(100*time.Minute))
		}
		for i, e := range randomEvents(rand.New(rand.NewPCG(9, 9)), 5000) {
			e.Group = []byte(EncodeGroup([]string{string(rune('a' + i%7))}))
			e.Status, e.Bytes, e.HasBytes = int32(200+100*(i%4)), int64(i), true
			e.Distinct, e.HasDistinct = uint64(i%300)*0x9e3779b97f4a7c15, true
			if i%5 == 0 { // unknown levels, more distinct values than are kept
				e.Level, e.LevelText = LevelUnknown, []byte(fmt.Sprint(i%97))
			}
			parts[i%2].Add(&e)
		}
		return parts
	}
	a, b := build(), build()
	ea, err := a[0].MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	eb, _ := b[0].MarshalBinary()
	if !bytes.Equal(ea, eb) {
		t.Error("the same partial encoded to different bytes")
	}
	dec0, err := UnmarshalPartial(ea)
	if err != nil {
		t.Fatal(err)
	}
	e1, _ := a[1].MarshalBinary()
	dec1, err := UnmarshalPartial(e1)
	if err != nil {
		t.Fatal(err)
	}
	if err := dec0.Merge(dec1); err != nil {
		t.Fatal(err)
	}
	if err := b[0].Merge(b[1]); err != nil {
		t.Fatal(err)
	}
	opt := TableOptions{Dims: 1}
	want, _ := b[0].Table(Window{Size: 5 * time.Minute}, opt)
	got, _ := dec0.Table(Window{Size: 5 * time.Minute}, opt)
	if !reflect.DeepEqual(got, want) || !countsEqual(&dec0.Counts, &b[0].Counts) {
		t.Error("decoded partials give a different table")
	}
	if c := dec0.Counts; c.Before == 0 || c.After == 0 || c.Before+c.After >= c.OutOfRange {
		t.Errorf("out of range %d, before %d, after %d: want some of each, and others farther", c.OutOfRange, c.Before, c.After)
	}
	if c := dec0.Counts; c.UnknownLevel == 0 || c.UnknownLevel >= 1000 || len(c.UnknownLevels.Top()) != MaxLevelValues {
		t.Errorf("unknown levels %d, %d values kept (all %v)", c.UnknownLevel, len(c.UnknownLevels.Top()), c.UnknownLevels.All())
	}
	// In map order (a spill file's encoding): appended after what b held,
	// it decodes to the partial whose sorted encoding is ea's.
	prefix := []byte("held")
	events := map[int64]int64{}
	eu, err := a[0].AppendUnordered(prefix, func(k, n int64) { events[k] += n })
	if err != nil || !bytes.HasPrefix(eu, prefix) {
		t.Fatalf("append unordered: %v", err)
	}
	decu, err := UnmarshalPartial(eu[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := decu.MarshalBinary(); !bytes.Equal(again, ea) || len(eu)-len(prefix) != len(ea) {
		t.Error("the unordered encoding decodes to another partial")
	}
	paneEvents := map[int64]int64{}
	a[0].PaneEvents(func(k, n int64) { paneEvents[k] += n })
	if !maps.Equal(events, paneEvents) || len(paneEvents) < 2 {
		t.Errorf("pane events on the way %v, PaneEvents %v", events, paneEvents)
	}
	for _, bad := range [][]byte{nil, []byte("LSPARTv2"), ea[:len(ea)/2], append(bytes.Clone(ea), 0)} {
		if _, err := UnmarshalPartial(bad); err == nil {
			t.Errorf("corrupt partial of %d bytes decoded", len(bad))
		}
	}
}

func FuzzUnmarshalPartial(f *testing.F) {
	p := NewPartial(time.Minute, 0)
	p.Add(&Event{Time: day, Latency: 5e6, HasLatency: true, HasDistinct: true, Distinct: 42})
	b, _ := p.MarshalBinary()
	f.Add(b)
	// Cells of 2, 5 (latencies as they are) and 40 latencies (a sketch).
	for _, n := range []int{2, 5, 40} {
		p := NewPartial(time.Minute, 0)
		for i := range n {
			p.Add(&Event{Time: day, Latency: int64(i) * 1e6, HasLatency: true})
		}
		b, _ := p.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := UnmarshalPartial(b)
		if err != nil {
			return
		}
		// Whatever decodes keeps every cell it was given: a cell replaced
		// by a later one of the same key would leave the sums apart.
		if got, want := q.Footprint(), footprintWalk(q); got != want {
			t.Fatalf("decoded Footprint %d, its cells %d", got, want)
		}
	})
}

// A pane start or a group key that comes twice in an encoding is refused
// as corrupt, not decoded with the first of the two dropped.
func TestUnmarshalPartialRefusesRepeats(t *testing.T) {
	ka, kb := EncodeGroup([]string{"a"}), EncodeGroup([]string{"b"})
	p := NewPartial(time.Minute, 0)
	p.Add(&Event{Time: day, Group: []byte(ka)})
	p.Add(&Event{Time: day, Group: []byte(kb)})
	p.Add(&Event{Time: day + int64(time.Minute), Group: []byte(ka)})
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalPartial(b); err != nil {
		t.Fatalf("the valid encoding: %v", err)
	}
	// Panes are written by start: the second's start, then its one group.
	second := append(binary.AppendVarint(nil, day+int64(time.Minute)), 1)
	first := append(binary.AppendVarint(nil, day), 1)
	if len(first) != len(second) || bytes.Count(b, second) != 1 {
		t.Fatalf("the second pane's start %x is not once in %x", second, b)
	}
	samePane := bytes.Replace(b, second, first, 1)
	// Groups of a pane are written by key: "b" after "a".
	if bytes.Count(b, []byte(kb)) != 1 {
		t.Fatalf("key %q is not once in %x", kb, b)
	}
	sameGroup := bytes.Replace(b, []byte(kb), []byte(ka), 1)
	for name, bad := range map[string][]byte{"pane start": samePane, "group key": sameGroup} {
		if q, err := UnmarshalPartial(bad); err == nil {
			t.Errorf("a repeated %s decoded, to %d panes", name, q.Panes())
		}
	}
}

// The unknown levels' values are decoded only as MarshalBinary writes
// them: at most MaxLevelValues, in strictly increasing byte order, each
// within MaxLevelValueBytes and "…", with a positive count.
func TestPartialLevelValuesCorrupt(t *testing.T) {
	encode := func(more uint64, keys []string, counts []int64) []byte {
		p := NewPartial(time.Minute, 0)
		b, _ := p.MarshalBinary()
		// An empty partial ends with: unknown count 0, more 0, no keys, no panes.
		head := b[:len(b)-4]
		head = binary.AppendVarint(head, 7)
		head = binary.AppendUvarint(head, more)
		head = binary.AppendUvarint(head, uint64(len(keys)))
		for i, k := range keys {
			head = binary.AppendUvarint(head, uint64(len(k)))
			head = append(head, k...)
			head = binary.AppendVarint(head, counts[i])
		}
		return binary.AppendUvarint(head, 0)
	}
	if _, err := UnmarshalPartial(encode(0, []string{"a", "b"}, []int64{3, 4})); err != nil {
		t.Fatalf("a valid encoding: %v", err)
	}
	many := make([]string, maxLevelKept+1)
	ones := make([]int64, len(many))
	for i := range many {
		many[i], ones[i] = fmt.Sprintf("%05d", i), 1
	}
	for name, b := range map[string][]byte{
		"unsorted":  encode(0, []string{"b", "a"}, []int64{1, 1}),
		"twice":     encode(0, []string{"a", "a"}, []int64{1, 1}),
		"zero":      encode(0, []string{"a"}, []int64{0}),
		"negative":  encode(0, []string{"a"}, []int64{-1}),
		"more flag": encode(2, nil, nil),
		"too many":  encode(1, many, ones),
		"too long":  encode(0, []string{strings.Repeat("x", MaxLevelValueBytes+4)}, []int64{1}),
	} {
		if _, err := UnmarshalPartial(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// A cell's sketch survives encoding for any latencies add accepts: zero,
// one nanosecond, the largest int64, and cells merged from many; every
// quantile reads the same after decoding.
func TestSketchRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2))
	cases := map[string][]int64{
		"zeros":   make([]int64, 40),
		"extreme": {0, 1, 1, 2, math.MaxInt64, math.MaxInt64 - 1},
	}
	for i := range 20 {
		lat := make([]int64, 33+r.IntN(2000))
		for j := range lat {
			lat[j] = int64(min(r.ExpFloat64()*float64(int64(1)<<r.IntN(62)), 1<<62))
			if j%7 == 0 {
				lat[j] = 0
			}
		}
		cases[fmt.Sprint("random", i)] = lat
	}
	for name, lat := range cases {
		for len(lat) <= exactLatencies {
			lat = append(lat, lat...)
		}
		// Two partials merged: the sketch's counts are sums.
		p, q := NewPartial(time.Minute, 0), NewPartial(time.Minute, 0)
		for i, v := range lat {
			[]*Partial{p, q}[i%2].Add(&Event{Time: day, Latency: v, HasLatency: true})
		}
		if err := p.Merge(q); err != nil {
			t.Fatal(err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := UnmarshalPartial(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, got := p.panes[day].groups[""], d.panes[day].groups[""]
		if got.sketchOf() == nil || got.sketchOf().GetCount() != float64(len(lat)) {
			t.Fatalf("%s: decoded sketch %v", name, got.sketchOf())
		}
		for _, qu := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.99, 1} {
			w, _ := a.sketchOf().GetValueAtQuantile(qu)
			g, _ := got.sketchOf().GetValueAtQuantile(qu)
			if w != g {
				t.Errorf("%s: quantile %v is %v after decoding, %v before", name, qu, g, w)
			}
		}
		if b2, _ := d.MarshalBinary(); !bytes.Equal(b, b2) {
			t.Errorf("%s: a decoded partial encodes to other bytes", name)
		}
	}
}

// A cell's sketch is decoded only as appendSketch writes it: buckets in
// strictly increasing order, within the mapping's range for int64
// latencies, each non-empty, holding with the zero bucket exactly the
// cell's latencies. Anything else is corrupt, and costs no more than its
// bytes.
func TestSketchCorrupt(t *testing.T) {
	// A cell of n latencies all in bucket sketchLo+1, encoded by hand.
	const n = exactLatencies + 1
	cellOf := func(n uint64, sketch []byte) []byte {
		p := NewPartial(time.Minute, 0)
		empty, _ := p.MarshalBinary()
		b := binary.AppendUvarint(empty[:len(empty)-1], 1) // one pane
		b = binary.AppendVarint(b, day)
		b = binary.AppendUvarint(b, 1) // one group
		b = binary.AppendUvarint(b, 0) // its empty key
		for _, v := range []int64{int64(n), 0, 0, int64(n), 1, 1, 0, 0, 0, 0, 0} {
			b = binary.AppendVarint(b, v)
		}
		for range 5 {
			b = binary.LittleEndian.AppendUint64(b, 0)
		}
		b = binary.AppendUvarint(b, 0) // no raw latencies
		b = append(b, 1)               // a sketch
		b = append(b, sketch...)
		return binary.AppendUvarint(b, 0) // no hyperloglog
	}
	cell := func(sketch []byte) []byte { return cellOf(n, sketch) }
	uv := func(vs ...uint64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	span := uint64(sketchHi - sketchLo)
	if _, err := UnmarshalPartial(cell(uv(0, 1, 1, n))); err != nil {
		t.Fatalf("the valid cell: %v", err)
	}
	if _, err := UnmarshalPartial(cell(uv(n, 0))); err != nil {
		t.Fatalf("a cell of zeros: %v", err)
	}
	for name, sk := range map[string][]byte{
		"count short":           uv(0, 1, 1, n-1),
		"count over":            uv(0, 1, 1, n+1),
		"zero count over":       uv(n+1, 0),
		"empty bucket":          uv(0, 2, 1, 0, 1, n),
		"repeated bucket":       uv(0, 2, 1, 1, 0, n-1),
		"beyond the last":       uv(0, 1, span+1, n),
		"beyond by steps":       uv(0, 2, span, 1, 1, n-1),
		"far index":             uv(0, 1, math.MaxUint64, n),
		"more buckets than fit": uv(0, span+2),
		"huge bucket count":     uv(0, math.MaxUint64),
		"truncated":             uv(0, 3, 1, 1),
		"huge count":            uv(0, 1, 1, math.MaxUint64),
		"no buckets":            uv(0, 0),
	} {
		if _, err := UnmarshalPartial(cell(sk)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	// Every bucket of the range, each with one latency, is a valid sketch
	// of span+1 latencies; the decoder walks it once.
	all := uv(0, span+1, 0, 1)
	for range span {
		all = append(all, uv(1, 1)...)
	}
	if _, err := UnmarshalPartial(cellOf(span+1, all)); err != nil {
		t.Errorf("every bucket once: %v", err)
	}
	if _, err := UnmarshalPartial(cellOf(span+2, append(uv(0, span+2, 0, 1), all[len(uv(0, span+1, 0, 1)):]...))); err == nil {
		t.Error("more buckets than the range holds: decoded")
	}
}
