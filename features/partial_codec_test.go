package features

import (
	"bytes"
	"math/rand/v2"
	"reflect"
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
	if !reflect.DeepEqual(got, want) || dec0.Counts != b[0].Counts {
		t.Error("decoded partials give a different table")
	}
	if c := dec0.Counts; c.Before == 0 || c.After == 0 || c.Before+c.After >= c.OutOfRange {
		t.Errorf("out of range %d, before %d, after %d: want some of each, and others farther", c.OutOfRange, c.Before, c.After)
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
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = UnmarshalPartial(b)
	})
}
