package features

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// BenchmarkScanFlat is the scanner alone (no conversion) on benchmark lines.
func BenchmarkScanFlat(b *testing.B) {
	data := benchLines(1000)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	d := NewDecoder(DefaultSpec())
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	for i := 0; b.Loop(); i++ {
		if !d.scanFlat(lines[i%len(lines)]) {
			b.Fatal("declined")
		}
	}
}

// BenchmarkScanFlatInPlace reads lines as Ingest hands them over: slices of
// a larger buffer, with the next line's bytes after them.
func BenchmarkScanFlatInPlace(b *testing.B) {
	data := benchLines(1000)
	var lines [][]byte
	for rest := data; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		lines = append(lines, rest[:i])
		rest = rest[i+1:]
	}
	d := NewDecoder(DefaultSpec())
	b.SetBytes(int64(len(data)) / int64(len(lines)))
	for i := 0; b.Loop(); i++ {
		if !d.scanFlat(lines[i%len(lines)]) {
			b.Fatal("declined")
		}
	}
}

// BenchmarkIngestSmallObjects is Ingest over many small objects (10 lines,
// ~2.9 KB each) with one decoder, as a worker reads a folder of small
// files: the per-object cost.
func BenchmarkIngestSmallObjects(b *testing.B) {
	data := benchLines(10)
	d := NewDecoder(DefaultSpec())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	p := NewPartial(5*time.Minute, 0)
	for b.Loop() {
		if err := Ingest(context.Background(), bytes.NewReader(data), d, p, IngestOptions{MaxLine: testMaxLine}); err != nil {
			b.Fatal(err)
		}
	}
}
