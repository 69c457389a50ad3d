package features

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// benchLines makes n lines shaped like logsmith generate's (~290 bytes).
func benchLines(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 1))
	var b bytes.Buffer
	t := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for i := range n {
		ts := t.Add(time.Duration(i) * 30 * time.Millisecond)
		fmt.Fprintf(&b, `{"timestamp":"%s","level":"INFO","service":"checkout","method":"GET","path":"/api/v1/cart","status":200,"latency_ms":%.3f,"bytes":%d,"user_id":"u%d","client_ip":"10.1.2.%d","trace_id":"%x","msg":"request completed"}`+"\n",
			ts.Format("2006-01-02T15:04:05.000Z07:00"), rng.Float64()*300, rng.IntN(20000), rng.IntN(5000), rng.IntN(256), rng.Uint64()|1<<63)
	}
	return b.Bytes()
}

func BenchmarkDecodeLine(b *testing.B) {
	data := benchLines(1000)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	d := NewDecoder(DefaultSpec())
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, r := d.Decode(lines[i%len(lines)]); r != ReasonNone {
			b.Fatal(r)
		}
	}
}

func BenchmarkParseRFC3339(b *testing.B) {
	ts := []byte("2025-11-08T10:00:00.123Z")
	b.SetBytes(int64(len(ts)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseRFC3339(ts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWindowAdd(b *testing.B) {
	p := NewPartial(5*time.Minute, 0)
	e := Event{Time: day, HasLatency: true, Latency: 12_345_678}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Time = day + int64(i)*int64(time.Millisecond)
		e.Latency = int64(i%100000) * 1000
		p.Add(&e)
	}
}

func BenchmarkSketchInsert(b *testing.B) {
	a := newAcc()
	e := Event{Time: day, HasLatency: true}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Latency = int64(1+i%200000) * 1000
		a.add(&e)
	}
}

func benchPartial(n int) *Partial {
	p := NewPartial(5*time.Minute, 0)
	for _, e := range randomEvents(rand.New(rand.NewPCG(5, 5)), n) {
		p.Add(&e)
	}
	return p
}

func BenchmarkMerge(b *testing.B) {
	src := benchPartial(100000)
	enc, _ := src.MarshalBinary()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		x, _ := UnmarshalPartial(enc)
		y, _ := UnmarshalPartial(enc)
		b.StartTimer()
		if err := x.Merge(y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParquetEncode(b *testing.B) {
	rows, _ := benchPartial(100000).Table(Window{Size: 5 * time.Minute}, TableOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteParquet(io.Discard, Columns{}, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngest is the whole per-object path: lines, decode, windows.
func BenchmarkIngest(b *testing.B) {
	data := benchLines(20000)
	d := NewDecoder(DefaultSpec())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p := NewPartial(5*time.Minute, 0)
		if err := Ingest(context.Background(), bytes.NewReader(data), d, p, IngestOptions{MaxLine: testMaxLine}); err != nil {
			b.Fatal(err)
		}
	}
}
