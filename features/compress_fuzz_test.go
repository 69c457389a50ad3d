package features

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// program hands out the fuzzer's bytes as choices; past its end every
// choice is zero.
type program struct{ b []byte }

func (p *program) next() byte {
	if len(p.b) == 0 {
		return 0
	}
	c := p.b[0]
	p.b = p.b[1:]
	return c
}

func (p *program) take(n int) []byte {
	n = min(n, len(p.b))
	b := p.b[:n]
	p.b = p.b[n:]
	return b
}

// fuzzAlphabet is what frame contents are written in: text (so the head
// check passes it), multi-byte UTF-8 included, and no byte-order mark or
// start of a magic number.
var fuzzAlphabet = []string{"{", "}", `"`, ":", ",", "a", "z", "0", "9", " ", "\t", "\n", "\r\n", "é", "€", "😀"}

func (p *program) text() []byte {
	var b []byte
	for _, c := range p.take(int(p.next() % 64)) {
		b = append(b, fuzzAlphabet[int(c)%len(fuzzAlphabet)]...)
	}
	// Repeat it, sometimes past a zstd block (128 KiB) or the buffers.
	return bytes.Repeat(b, 1+int(p.next())*int(p.next()%8))
}

// fuzzStream is a compressed stream and where it may legally end.
type fuzzStream struct {
	codec   Codec
	data    []byte
	content []byte
	ends    []fuzzEnd // in order of offset
}

// fuzzEnd says the stream is whole when cut at off (or anywhere up to
// until, in zero padding), with content[:decoded] its content.
type fuzzEnd struct {
	off, until int
	decoded    int
}

func (s *fuzzStream) add(frame, content []byte) {
	s.data = append(s.data, frame...)
	s.content = append(s.content, content...)
	s.ends = append(s.ends, fuzzEnd{off: len(s.data), until: len(s.data), decoded: len(s.content)})
}

// whole reports whether the stream cut at off is complete, and how much
// content it then has.
func (s *fuzzStream) whole(off int) (int, bool) {
	if off == 0 {
		return 0, true
	}
	for _, e := range s.ends {
		if off >= e.off && off <= e.until {
			return e.decoded, true
		}
	}
	return 0, false
}

type zstdKey struct {
	crc, single, zero, noEntropy bool
	level                        zstd.EncoderLevel
	window                       int
}

func buildZstd(t *testing.T, p *program, encoders map[zstdKey]*zstd.Encoder) *fuzzStream {
	s := &fuzzStream{codec: CodecZstd}
	for range 1 + p.next()%8 {
		kind := p.next()
		if kind%4 == 0 {
			s.add(skippable(p.next(), p.take(int(p.next()%64))), nil)
			continue
		}
		k := zstdKey{
			crc: kind&4 != 0, single: kind&8 != 0, zero: kind&16 != 0, noEntropy: kind&32 != 0,
			level:  zstd.EncoderLevel(1 + int(p.next()%4)),
			window: []int{0, zstd.MinWindowSize, 64 << 10, 1 << 20}[p.next()%4],
		}
		e := encoders[k]
		if e == nil {
			opts := []zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(k.crc), zstd.WithSingleSegment(k.single),
				zstd.WithZeroFrames(k.zero), zstd.WithNoEntropyCompression(k.noEntropy), zstd.WithEncoderLevel(k.level)}
			if k.window > 0 {
				opts = append(opts, zstd.WithWindowSize(k.window))
			}
			var err error
			if e, err = zstd.NewWriter(nil, opts...); err != nil {
				t.Fatal(err)
			}
			encoders[k] = e
		}
		content := p.text()
		switch mode := p.next() % 3; mode {
		case 0: // one buffer: content size recorded
			s.add(e.EncodeAll(content, nil), content)
		default: // streamed in chunks, each flushed as blocks; the size is known only in mode 2
			var out bytes.Buffer
			if mode == 1 {
				e.Reset(&out)
			} else {
				e.ResetContentSize(&out, int64(len(content)))
			}
			chunk := 1 + int(p.next())*256
			for b := content; len(b) > 0; b = b[min(chunk, len(b)):] {
				if _, err := e.Write(b[:min(chunk, len(b))]); err != nil {
					t.Fatal(err)
				}
				if err := e.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			s.add(out.Bytes(), content)
		}
	}
	return s
}

func buildGzip(t *testing.T, p *program) *fuzzStream {
	s := &fuzzStream{codec: CodecGzip}
	for range 1 + p.next()%6 {
		flags := p.next()
		level := []int{gzip.HuffmanOnly, gzip.NoCompression, gzip.BestSpeed, gzip.DefaultCompression, gzip.BestCompression}[flags%5]
		var out bytes.Buffer
		w, err := gzip.NewWriterLevel(&out, level)
		if err != nil {
			t.Fatal(err)
		}
		if flags&8 != 0 {
			w.Name = "a.jsonl"
		}
		if flags&16 != 0 {
			w.Comment = "c"
		}
		if flags&32 != 0 {
			w.Extra = []byte("xx")
		}
		content := p.text()
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		s.add(out.Bytes(), content)
	}
	if pad := int(p.next()) * int(p.next()%64); pad > 0 {
		from := len(s.data)
		s.data = append(s.data, make([]byte, pad)...)
		s.ends = append(s.ends, fuzzEnd{off: from, until: len(s.data), decoded: len(s.content)})
	}
	return s
}

// FuzzDecompressFrames builds zstd streams from random sequences of data
// frames (with and without checksum or content size, one or many blocks,
// several levels and windows) and skippable frames, and gzip streams from
// random members (several levels and header fields) with optional zero
// padding, then reads each whole, cut short, or followed by garbage. Every
// content byte must be read, or the stream reported damaged; a stream is
// never read as text lines. The seeds in testdata/fuzz/FuzzDecompressFrames
// are named for the case each builds.
func FuzzDecompressFrames(f *testing.F) {
	encoders := map[zstdKey]*zstd.Encoder{}
	f.Cleanup(func() {
		for _, e := range encoders {
			e.Close()
		}
	})
	var d Decompressor // one for every input, as a job's worker keeps one
	f.Cleanup(d.Close)
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &program{b: b}
		op := p.next()
		var s *fuzzStream
		if op&1 == 0 {
			s = buildZstd(t, p, encoders)
		} else {
			s = buildGzip(t, p)
		}
		in, cut, garbage := s.data, len(s.data), false
		switch (op >> 1) % 4 {
		case 2:
			if len(in) > 0 {
				cut = (int(p.next())<<8 | int(p.next())) % len(in)
				in = in[:cut]
			}
		case 3:
			if len(in) > 0 {
				garbage = true
				in = append(bytes.Clone(in), make([]byte, p.next()%4)...)
				g := append([]byte{}, p.take(1+int(p.next()%16))...)
				if len(g) == 0 || g[0] == 0 || g[0] == gzipMagic[0] || g[0] == zstdMagic[0] || g[0]&0xf0 == 0x50 {
					g = append([]byte{'#'}, g...) // not a member or frame, nor padding
				}
				in = append(in, g...)
			}
		}
		var src io.Reader = iotest.HalfReader(bytes.NewReader(in))
		if op&0x80 != 0 {
			src = iotest.DataErrReader(src)
		}
		r, codec, openErr := d.Open(src)
		var got []byte
		var readErr error
		if openErr == nil {
			got, readErr = io.ReadAll(r)
		}
		if openErr == nil && codec == CodecNone && len(in) > 1 {
			t.Fatalf("%v stream of %d bytes read as text: %q", s.codec, len(in), got)
		}
		if openErr == nil && codec != CodecNone && codec != s.codec {
			t.Fatalf("%v stream read as %v", s.codec, codec)
		}
		if !bytes.HasPrefix(s.content, got) && codec != CodecNone {
			t.Fatalf("read %d bytes that are not the content's start (%d bytes)", len(got), len(s.content))
		}
		damaged := openErr != nil || readErr != nil
		switch decoded, whole := s.whole(cut); {
		case garbage:
			if !damaged {
				t.Fatalf("trailing garbage read without error: %q", in[len(s.data):])
			}
			if openErr == nil && len(got) != len(s.content) {
				t.Fatalf("read %d of %d bytes before trailing garbage: %v", len(got), len(s.content), readErr)
			}
		case cut <= 1 && len(in) <= 1:
			// An empty stream, or one byte: text when it is a letter.
		case whole:
			if damaged {
				t.Fatalf("whole stream (%d of %d bytes) damaged: open %v, read %v", cut, len(s.data), openErr, readErr)
			}
			if len(got) != decoded {
				t.Fatalf("read %d bytes, want %d", len(got), decoded)
			}
		default:
			if !damaged {
				t.Fatalf("stream cut at %d of %d bytes read without error (%d of %d content bytes)", cut, len(s.data), len(got), len(s.content))
			}
		}
	})
}
