package features

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// A cell of one or two latencies keeps only its minimum and maximum; the
// partial's binary form still carries its sums (the format is unchanged),
// so a decoded cell's sums must be the ones its latencies give: any other
// sum is refused as corrupt rather than silently replaced.
func TestSmallCellSumsMustMatch(t *testing.T) {
	for _, lats := range [][]int64{{0x1122334455}, {0x1122334455, 0x2233445566}} {
		p := NewPartial(defaultWindow, 0)
		for _, l := range lats {
			p.Add(&Event{Time: day, HasLatency: true, Latency: l})
		}
		good, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := UnmarshalPartial(good); err != nil {
			t.Fatalf("%v: %v", lats, err)
		}
		var sum int64
		for _, l := range lats {
			sum += l
		}
		at := bytes.Index(good, binary.LittleEndian.AppendUint64(nil, uint64(sum)))
		if at < 0 {
			t.Fatalf("%v: the sum is not in the encoding", lats)
		}
		bad := bytes.Clone(good)
		binary.LittleEndian.PutUint64(bad[at:], uint64(sum+1))
		if _, err := UnmarshalPartial(bad); !errors.Is(err, errCorrupt) {
			t.Errorf("%v: a sum off by one decoded: %v", lats, err)
		}
	}
}
