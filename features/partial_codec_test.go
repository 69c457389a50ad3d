package features

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
		_, _ = UnmarshalPartial(b)
	})
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
