package features

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// integrityObjects are small compressed objects whose every integrity
// check can fail: the CRC-32 and ISIZE of each member of a multi-member
// gzip, the content checksum of each zstd frame. zstd frames written
// without a checksum are left out: nothing in them can tell a flipped
// literal byte from the original (see docs/input.md, Compression).
func integrityObjects(t *testing.T) []struct {
	name          string
	data, content []byte
} {
	a, b := jsonLines(0, 6), jsonLines(6, 5)
	zf := func(p []byte) []byte {
		return zstdAll(t, p, zstd.WithEncoderCRC(true), zstd.WithEncoderLevel(zstd.SpeedDefault))
	}
	return []struct {
		name          string
		data, content []byte
	}{
		{"gzip", gzipMember(t, a, gzip.BestCompression, ""), a},
		{"gzip members", cat(gzipMember(t, a, gzip.BestCompression, ""), gzipMember(t, b, gzip.NoCompression, "b.jsonl")), cat(a, b)},
		{"gzip huffman", gzipMember(t, b, gzip.HuffmanOnly, ""), b},
		{"zstd frames", cat(zf(a), zf(b)), cat(a, b)},
	}
}

// decodeAll is what a Decompressor yields from in: the bytes before the
// first error, and the error (Open's included).
func decodeAll(in []byte) ([]byte, Codec, error) {
	var d Decompressor
	defer d.Close()
	r, codec, err := d.Open(bytes.NewReader(in))
	if err != nil {
		return nil, codec, err
	}
	b, err := io.ReadAll(r)
	return b, codec, err
}

// TestIntegrityEveryBitFlip flips every bit of small gzip and zstd objects
// (one at a time) and reads each through an ObjectReader, as a run does.
// The object either counts exactly as the original (a flip the format
// cannot detect: gzip's MTIME, XFL and OS header bytes, an unused flag
// bit, a zstd frame header's unused fields), or is damaged and counts for
// nothing (Rejected: its partial is discarded). It never counts lines
// decoded from wrong bytes, as it did when the bytes before a failed
// CRC-32 were kept. Run with -tags isal too: both inflaters are held to it.
func TestIntegrityEveryBitFlip(t *testing.T) {
	spec := Spec{Fields: Fields{Timestamp: "timestamp", Latency: "latency_ms"}, LatencyUnit: "ms"}
	for _, obj := range integrityObjects(t) {
		t.Run(obj.name, func(t *testing.T) {
			or := NewObjectReader(spec, ObjectOptions{MaxObjectBytes: 1 << 30, MaxLine: testMaxLine})
			clean := NewPartial(defaultWindow, 0)
			if _, err := or.Read(context.Background(), "clean", bytes.NewReader(obj.data), clean, false); err != nil {
				t.Fatalf("clean object: %v", err)
			}
			var exact, rejected, truncation int
			for bit := range len(obj.data) * 8 {
				in := bytes.Clone(obj.data)
				in[bit/8] ^= 1 << (bit % 8)
				p := NewPartial(defaultWindow, 0)
				_, err := or.Read(context.Background(), "flipped", bytes.NewReader(in), p, false)
				var de *DamageError
				switch {
				case err == nil:
					got, _, derr := decodeAll(in)
					if derr != nil || !bytes.Equal(got, obj.content) {
						t.Fatalf("bit %d (byte %d): read as whole, but it decodes to %d bytes (%v), not the original's %d",
							bit, bit/8, len(got), derr, len(obj.content))
					}
					if p.Counts.Lines != clean.Counts.Lines || p.Counts.Events != clean.Counts.Events || p.Counts.Bad != clean.Counts.Bad {
						t.Fatalf("bit %d: counts %+v, want the original's %+v", bit, p.Counts, clean.Counts)
					}
					exact++
				case errors.As(err, &de) && (de.Rejected || de.Head):
					rejected++
				case errors.As(err, &de):
					// Kept as a truncation: only right if every byte kept is the original's.
					got, _, _ := decodeAll(in)
					if !bytes.HasPrefix(obj.content, got) {
						t.Errorf("bit %d (byte %d of %d): damaged, and %d lines kept of %d bytes that are not the original's: %v",
							bit, bit/8, len(in), p.Counts.Lines, len(got), err)
					}
					truncation++
				default:
					t.Fatalf("bit %d: %v", bit, err)
				}
			}
			t.Logf("%s (%s inflater): %d flips read exactly, %d rejected whole, %d read as a truncation", obj.name, Inflater(), exact, rejected, truncation)
			if rejected == 0 {
				t.Fatal("no flip was detected")
			}
		})
	}
}

// TestIntegrityTruncationKeepsLines cuts the same objects at every byte: a
// clean truncation keeps the lines before it, decoded from the original's
// bytes (docs/input.md), and is never rejected whole unless nothing of it
// could be read.
func TestIntegrityTruncationKeepsLines(t *testing.T) {
	spec := Spec{Fields: Fields{Timestamp: "timestamp", Latency: "latency_ms"}, LatencyUnit: "ms"}
	for _, obj := range integrityObjects(t) {
		t.Run(obj.name, func(t *testing.T) {
			or := NewObjectReader(spec, ObjectOptions{MaxObjectBytes: 1 << 30, MaxLine: testMaxLine})
			kept := 0
			for cut := 1; cut < len(obj.data); cut++ {
				in := obj.data[:cut]
				p := NewPartial(defaultWindow, 0)
				_, err := or.Read(context.Background(), "cut", bytes.NewReader(in), p, false)
				got, codec, _ := decodeAll(in)
				if codec == CodecNone {
					continue // a cut inside the zstd magic number may be text: "("
				}
				if !bytes.HasPrefix(obj.content, got) {
					t.Fatalf("cut at %d: decoded bytes are not the original's start", cut)
				}
				var de *DamageError
				switch {
				case err == nil: // a cut between members or frames
				case errors.As(err, &de) && de.Head:
				case errors.As(err, &de) && de.Rejected:
					t.Fatalf("cut at %d: a truncation is rejected whole: %v", cut, err)
				case errors.As(err, &de):
					if want := int64(bytes.Count(got, []byte("\n"))); p.Counts.Events < want {
						t.Fatalf("cut at %d: %d events kept, want the %d whole lines before the cut", cut, p.Counts.Events, want)
					}
					kept++
				default:
					t.Fatalf("cut at %d: %v", cut, err)
				}
			}
			if kept == 0 {
				t.Fatal("no cut kept its lines")
			}
		})
	}
}

// A zstd frame may declare a window (or, single-segment, a content size)
// up to 3.75 TB, and the decoder holds it: frames over MaxZstdWindow are
// refused, whole, whatever declares the size; frames at it are read.
func TestZstdWindowLimit(t *testing.T) {
	content := jsonLines(0, 250_000) // ~19 MB
	if len(content) < 2*MaxZstdWindow {
		t.Fatalf("content of %d bytes is too small", len(content))
	}
	spec := Spec{Fields: Fields{Timestamp: "timestamp", Latency: "latency_ms"}, LatencyUnit: "ms"}
	for _, tt := range []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"window at the limit", zstdAll(t, content, zstd.WithWindowSize(MaxZstdWindow), zstd.WithSingleSegment(false)), true},
		{"window over the limit", zstdAll(t, content, zstd.WithWindowSize(2*MaxZstdWindow), zstd.WithSingleSegment(false)), false},
		{"single segment over the limit", zstdAll(t, content[:MaxZstdWindow+1], zstd.WithWindowSize(16<<20), zstd.WithSingleSegment(true)), false},
		{"single segment at the limit", zstdAll(t, content[:MaxZstdWindow], zstd.WithWindowSize(16<<20), zstd.WithSingleSegment(true)), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			or := NewObjectReader(spec, ObjectOptions{MaxObjectBytes: 1 << 30, MaxLine: testMaxLine})
			p := NewPartial(defaultWindow, 0)
			_, err := or.Read(context.Background(), "z", bytes.NewReader(tt.in), p, false)
			var de *DamageError
			switch {
			case tt.ok && err != nil:
				t.Fatalf("read: %v", err)
			case !tt.ok && (!errors.As(err, &de) || !de.Rejected):
				t.Fatalf("read: %v, want the object damaged and rejected whole", err)
			case !tt.ok && !strings.Contains(err.Error(), "8 MiB"):
				t.Errorf("the error does not say the limit: %v", err)
			}
		})
	}
}
