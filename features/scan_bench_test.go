package features

import (
	"bytes"
	"testing"
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
