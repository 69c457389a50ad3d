package features

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// zstdAll encodes b as one frame with EncodeAll, which records the content
// size.
func zstdAll(t testing.TB, b []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(b, nil)
}

// zstdStream encodes b as one frame through the streaming writer, which
// does not know the content size; each Flush ends a block.
func zstdStream(t testing.TB, b []byte, chunk int, opts ...zstd.EOption) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := zstd.NewWriter(&out, append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	for len(b) > 0 {
		n := min(chunk, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// skippable builds a zstd skippable frame by hand (RFC 8878, 3.1.2): the
// magic 0x184D2A5?, the payload size as 4 bytes little endian, the payload.
func skippable(nibble byte, payload []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x184d2a50|uint32(nibble&0xf))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

func gzipMember(t testing.TB, b []byte, level int, name string) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Name = name
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// jsonLines makes n event lines, numbered from first.
func jsonLines(first, n int) []byte {
	var b bytes.Buffer
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `{"timestamp":"2025-11-08T10:%02d:%02dZ","latency_ms":%d,"msg":"né %d"}`+"\n", i/60%60, i%60, i, i)
	}
	return b.Bytes()
}

// readAll opens in and reads it to the end or the first error.
func readAll(d *Decompressor, in []byte) (got []byte, codec Codec, openErr, readErr error) {
	r, codec, err := d.Open(iotest.HalfReader(bytes.NewReader(in)))
	if err != nil {
		return nil, codec, err, nil
	}
	got, err = io.ReadAll(r)
	return got, codec, nil, err
}

// DetectCodec is also what decides, from 4 bytes, whether a large object may
// be split into byte ranges; a stream starting with a skippable frame must
// never be.
func TestDetectCodec(t *testing.T) {
	for _, tt := range []struct {
		head []byte
		want Codec
	}{
		{[]byte{0x1f, 0x8b, 8, 0}, CodecGzip},
		{[]byte{0x1f, 0x8b}, CodecGzip},
		{[]byte{0x28, 0xb5, 0x2f, 0xfd}, CodecZstd},
		{[]byte{0x50, 0x2a, 0x4d, 0x18}, CodecZstd},
		{[]byte{0x5a, 0x2a, 0x4d, 0x18}, CodecZstd},
		{[]byte{0x5f, 0x2a, 0x4d, 0x18}, CodecZstd},
		{[]byte{0x60, 0x2a, 0x4d, 0x18}, CodecNone},
		{[]byte{0x4f, 0x2a, 0x4d, 0x18}, CodecNone},
		{[]byte{0x50, 0x2a, 0x4d, 0x19}, CodecNone},
		{[]byte{0x50, 0x2a, 0x4d}, CodecNone},
		{[]byte{0x28, 0xb5, 0x2f}, CodecNone},
		{[]byte("{\"a\""), CodecNone},
		{nil, CodecNone},
	} {
		if got := DetectCodec(tt.head); got != tt.want {
			t.Errorf("DetectCodec(% x) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

// Every frame sequence RFC 8878 allows is read whole: data frames with and
// without checksum and content size, skippable frames first (as pzstd
// writes), between and last, and concatenated frames.
func TestDecompressorZstdFrames(t *testing.T) {
	a, b := jsonLines(0, 300), jsonLines(300, 5000)
	pzstdHead := skippable(0, []byte{0x10, 0, 0, 0}) // pzstd: the next frame's compressed size
	withPadding := zstdAll(t, a, zstd.WithEncoderPadding(4096))
	if len(withPadding)%4096 != 0 {
		t.Fatalf("padding option made %d bytes", len(withPadding))
	}
	var everyNibble [][]byte
	for n := range byte(16) {
		everyNibble = append(everyNibble, skippable(n, bytes.Repeat([]byte{0xff, 0}, int(n))))
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want []byte
	}{
		{"checksum, content size", zstdAll(t, a, zstd.WithEncoderCRC(true)), a},
		{"no checksum", zstdAll(t, a, zstd.WithEncoderCRC(false)), a},
		{"no content size, many blocks", zstdStream(t, b, 1000), b},
		{"no content size, no checksum", zstdStream(t, b, 64<<10, zstd.WithEncoderCRC(false)), b},
		{"single segment", zstdAll(t, b, zstd.WithSingleSegment(true)), b},
		{"raw blocks", zstdAll(t, a, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithNoEntropyCompression(true)), a},
		{"empty frame", zstdAll(t, nil, zstd.WithZeroFrames(true)), nil},
		{"concatenated", cat(zstdAll(t, a), zstdStream(t, b, 4096), zstdAll(t, a)), cat(a, b, a)},
		{"skippable first (pzstd)", cat(pzstdHead, zstdAll(t, a)), a},
		{"skippable between", cat(zstdAll(t, a), skippable(7, []byte("meta")), zstdStream(t, b, 9000)), cat(a, b)},
		{"skippable last", cat(zstdAll(t, a), skippable(0xf, nil)), a},
		{"skippable only", cat(skippable(1, []byte("x")), skippable(2, nil)), nil},
		{"skippable every magic", cat(cat(everyNibble...), zstdAll(t, a), cat(everyNibble...)), a},
		{"skippable larger than the buffers", cat(skippable(3, make([]byte, 600<<10)), zstdAll(t, a)), a},
		{"encoder padding", cat(withPadding, withPadding), cat(a, a)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			defer d.Close()
			got, codec, openErr, readErr := readAll(&d, tt.in)
			if openErr != nil || readErr != nil {
				t.Fatalf("open: %v, read: %v", openErr, readErr)
			}
			if codec != CodecZstd || !bytes.Equal(got, tt.want) {
				t.Errorf("codec %v, %d bytes; want zstd, %d bytes", codec, len(got), len(tt.want))
			}
		})
	}
}

// Streams from the real tools: pzstd starts with a skippable frame, and
// bzip2 and xz are refused rather than read as text.
func TestDecompressorRealTools(t *testing.T) {
	want := jsonLines(0, 300)
	for _, tt := range []struct {
		file  string
		codec Codec
		why   string // "" when the content is read
	}{
		{"lines.jsonl.pzstd.zst", CodecZstd, ""},
		{"lines.jsonl.nocheck.zst", CodecZstd, ""},
		{"lines.jsonl.bz2", CodecNone, "bzip2 data"},
		{"lines.jsonl.xz", CodecNone, "xz data"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "compress", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var d Decompressor
			defer d.Close()
			got, codec, openErr, readErr := readAll(&d, in)
			if codec != tt.codec {
				t.Errorf("codec %v, want %v", codec, tt.codec)
			}
			if tt.why != "" {
				if !errors.Is(openErr, ErrNotText) || !strings.Contains(openErr.Error(), tt.why) {
					t.Errorf("open error %v, want ErrNotText saying %q", openErr, tt.why)
				}
				return
			}
			if openErr != nil || readErr != nil || !bytes.Equal(got, want) {
				t.Errorf("open %v, read %v, %d bytes; want %d", openErr, readErr, len(got), len(want))
			}
		})
	}
}

// Gzip members are read to the end; zero bytes after the last one are
// padding (gunzip accepts them), anything else is damage.
func TestDecompressorGzipMembers(t *testing.T) {
	a, b := jsonLines(0, 300), jsonLines(300, 3000)
	m1 := gzipMember(t, a, gzip.DefaultCompression, "a.jsonl")
	m2 := gzipMember(t, b, gzip.BestSpeed, "")
	empty := gzipMember(t, nil, gzip.NoCompression, "")
	for _, tt := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr string // "" when the stream is whole
	}{
		{"one member", m1, a, ""},
		{"members", cat(m1, m2, empty, m1), cat(a, b, a), ""},
		{"one zero byte", cat(m1, []byte{0}), a, ""},
		{"tape padding", cat(m1, m2, make([]byte, 10240-(len(m1)+len(m2))%10240)), cat(a, b), ""},
		{"padding larger than the buffers", cat(m1, make([]byte, 700<<10)), a, ""},
		{"garbage", cat(m1, []byte("garbage")), a, "byte 0x67 after gzip member 1: trailing data is neither"},
		{"one garbage byte", cat(m1, []byte{'\n'}), a, "byte 0x0a after gzip member 1"},
		{"garbage after a cut magic", cat(m1, []byte{0x1f, 0x00}), a, "member 2 header: unexpected EOF"},
		{"not a member", cat(m1, []byte{0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 0xff}), a, "member 2 header: gzip: invalid header"},
		{"zeros then garbage", cat(m1, make([]byte, 100), []byte{1}), a, "after gzip member 1 and 100 zero bytes"},
		{"garbage far into the padding", cat(m1, make([]byte, 600<<10), []byte{0xff}), a, "and 614400 zero bytes"},
		{"zeros then a member", cat(m1, []byte{0, 0}, m2), a, "0x1f after gzip member 1 and 2 zero bytes"},
		{"truncated member", cat(m1, m2[:len(m2)/2]), nil, "member 2: unexpected EOF"},
		{"truncated trailer", m1[:len(m1)-3], nil, "member 1: unexpected EOF"},
		{"cut after a magic", cat(m1, gzipMagic), a, "member 2 header: unexpected EOF"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			got, codec, openErr, readErr := readAll(&d, tt.in)
			if openErr != nil {
				t.Fatalf("open: %v", openErr)
			}
			if codec != CodecGzip {
				t.Errorf("codec %v", codec)
			}
			switch {
			case tt.wantErr == "" && readErr != nil:
				t.Errorf("read: %v", readErr)
			case tt.wantErr != "" && (readErr == nil || !strings.Contains(readErr.Error(), tt.wantErr)):
				t.Errorf("read error %v, want one saying %q", readErr, tt.wantErr)
			}
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Errorf("read %d bytes, want %d", len(got), len(tt.want))
			}
			if tt.want == nil && !bytes.HasPrefix(cat(a, b), got) {
				t.Errorf("read %d bytes that are not the content's start", len(got))
			}
		})
	}
}

// Damage after the head keeps the content before it and is an error of the
// reader; damage in the head is an error of Open. Neither is read as text.
func TestDecompressorDamaged(t *testing.T) {
	a := jsonLines(0, 3000)
	za := zstdStream(t, a, 4096) // many small blocks, so a cut one leaves the ones before
	badSum := bytes.Clone(za)
	badSum[len(badSum)-1] ^= 1 // the content checksum
	for _, tt := range []struct {
		name     string
		in       []byte
		codec    Codec
		openErr  string
		readErr  string
		someRead bool // some content comes before the error
	}{
		{"zstd truncated", za[:len(za)*3/4], CodecZstd, "", "unexpected EOF", true},
		{"zstd bad checksum", badSum, CodecZstd, "", "CRC check failed", true},
		{"zstd trailing zeros", cat(za, make([]byte, 16)), CodecZstd, "", "magic number mismatch", true},
		{"zstd trailing garbage", cat(za, []byte("{}\n")), CodecZstd, "", "unexpected EOF", true},
		{"zstd trailing byte", cat(za, []byte{'x'}), CodecZstd, "", "unexpected EOF", true},
		{"skippable cut in its payload", skippable(0, make([]byte, 100))[:50], CodecZstd, "", "unexpected EOF", false},
		{"skippable cut in its size", skippable(0, nil)[:6], CodecZstd, "", "unexpected EOF", false},
		{"skippable then a cut frame", cat(skippable(0, nil), za[:100]), CodecZstd, "", "EOF", false},
		{"skippable then text", cat(skippable(0, nil), a), CodecZstd, "", "magic number mismatch", false},
		{"gzip header only", gzipMagic, CodecGzip, "open gzip stream", "", false},
		{"gzip bad header", []byte("\x1f\x8b\x07\x00\x00\x00"), CodecGzip, "open gzip stream", "", false},
		{"lone gzip byte", []byte{0x1f}, CodecNone, "inside the gzip magic", "", false},
		{"cut zstd magic", zstdMagic[:2], CodecNone, "inside the zstd magic", "", false},
		{"cut zstd magic 3", zstdMagic[:3], CodecNone, "inside the zstd magic", "", false},
		{"cut skippable magic", []byte{0x5e, 0x2a}, CodecNone, "skippable frame's magic", "", false},
		{"cut skippable magic 3", []byte{0x50, 0x2a, 0x4d}, CodecNone, "skippable frame's magic", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			defer d.Close()
			got, codec, openErr, readErr := readAll(&d, tt.in)
			if codec != tt.codec {
				t.Errorf("codec %v, want %v", codec, tt.codec)
			}
			if tt.openErr != "" {
				if openErr == nil || !strings.Contains(openErr.Error(), tt.openErr) {
					t.Errorf("open error %v, want one saying %q", openErr, tt.openErr)
				}
				return
			}
			if openErr != nil {
				t.Fatalf("open: %v", openErr)
			}
			if readErr == nil || !strings.Contains(readErr.Error(), tt.readErr) {
				t.Errorf("read error %v, want one saying %q", readErr, tt.readErr)
			}
			if !bytes.HasPrefix(a, got) || tt.someRead != (len(got) > 0) {
				t.Errorf("read %d bytes before the error; want a prefix of the content, some: %v", len(got), tt.someRead)
			}
		})
	}
}

// noNUL returns n random bytes without a zero, to test the ratio rule alone.
func noNUL(n int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(1 + rng.IntN(255))
	}
	return b
}

// A stream that is not text is refused by Open whatever its compression;
// text, with multi-byte UTF-8, stray bytes or ANSI colours, is read.
func TestDecompressorRefusesBinary(t *testing.T) {
	text := jsonLines(0, 500)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, _ := zw.Create("log.jsonl")
	f.Write(text)
	zw.Close()
	var zl bytes.Buffer
	zlw := zlib.NewWriter(&zl)
	zlw.Write(text)
	zlw.Close()
	utf16 := []byte{0xff, 0xfe}
	for _, r := range string(text[:200]) {
		utf16 = binary.LittleEndian.AppendUint16(utf16, uint16(r))
	}
	// The head ends in the middle of "€" (3 bytes): not a sign of binary.
	cutRune := cat(bytes.Repeat([]byte("a"), sniffSize-1), []byte("€\n"), text)
	// Lines an nginx escape=json log can hold: raw bytes >= 0x80 of a request.
	nginx := cat([]byte(`{"request":"GET /\xc0\xae\xc0\xae/\xff\xfe HTTP/1.1","status":"400"}`+"\n"), text)
	latin1 := bytes.ReplaceAll(text, []byte("é"), []byte{0xe9})
	ansi := cat([]byte("\x1b[31mstarting\x1b[0m\n"), text)
	for _, tt := range []struct {
		name string
		in   []byte
		why  string // "" when the stream is text
		want []byte // the content read when it is
	}{
		{"json lines", text, "", text},
		{"utf-8 bom", cat(utf8BOM, text), "", cat(utf8BOM, text)}, // LineReader drops it
		{"head cuts a character", cutRune, "", cutRune},
		{"range starting inside a character", cat([]byte("\xa9\n"), text), "", cat([]byte("\xa9\n"), text)},
		{"nginx raw bytes", nginx, "", nginx},
		{"latin-1", latin1, "", latin1},
		{"ansi colours", ansi, "", ansi},
		{"gzip text", gzipMember(t, text, gzip.BestSpeed, ""), "", text},
		{"zstd text with bom", zstdAll(t, cat(utf8BOM, text)), "", cat(utf8BOM, text)},
		{"short text", []byte("P"), "", []byte("P")},
		{"empty", nil, "", nil},
		{"bzip2", cat([]byte("BZh91AY&SY"), noNUL(200)), "bzip2 data", nil},
		{"bzip2 empty", []byte("BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x00"), "bzip2 data", nil},
		{"xz", cat([]byte("\xfd7zXZ\x00\x00\x04"), noNUL(50)), "xz data", nil},
		{"lz4", cat([]byte("\x04\x22\x4d\x18\x64\x40\xa7"), text), "lz4 data", nil},
		{"snappy", cat([]byte("\xff\x06\x00\x00sNaPpY"), text), "snappy (framed) data", nil},
		{"zip", zipped.Bytes(), "zip data", nil},
		{"zlib", zl.Bytes(), "zlib data", nil},
		{"7z", cat([]byte("7z\xbc\xaf\x27\x1c\x00\x04"), noNUL(50)), "7z data", nil},
		{"legacy zstd", cat([]byte{0x27, 0xb5, 0x2f, 0xfd}, text), "zstd v0.x", nil},
		{"utf-16", utf16, "UTF-16", nil},
		{"utf-16 without bom", utf16[2:], "NUL byte at offset 1", nil},
		{"NUL in text", cat(text[:100], []byte{0}, text[100:]), "NUL byte at offset 100", nil},
		{"random without NUL", noNUL(4 << 10), "are control bytes or invalid UTF-8", nil},
		{"few binary bytes", []byte{0xb5, 0x01, 0xfe}, "3 of the first 3 bytes", nil},
		{"control bytes", bytes.Repeat([]byte{0x01, 0x02, 'a', 'b', 'c', '\n'}, 100), "200 of the first 600 bytes", nil},
		{"gzip of binary", gzipMember(t, noNUL(1000), gzip.BestSpeed, ""), "gzip content: ", nil},
		{"gzip of zstd", gzipMember(t, zstdAll(t, text), gzip.BestSpeed, ""), "gzip content is itself zstd-compressed", nil},
		{"zstd of gzip", zstdAll(t, gzipMember(t, text, gzip.BestSpeed, "")), "zstd content is itself gzip-compressed", nil},
		{"zstd of zip", zstdAll(t, zipped.Bytes()), "zstd content: zip data", nil},
		{"gzip of a tar", gzipMember(t, cat([]byte("log.jsonl"), make([]byte, 503), text), gzip.BestSpeed, ""), "NUL byte at offset 9", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			defer d.Close()
			got, _, openErr, readErr := readAll(&d, tt.in)
			if tt.why == "" {
				if openErr != nil || readErr != nil {
					t.Fatalf("open: %v, read: %v", openErr, readErr)
				}
				if !bytes.Equal(got, tt.want) {
					t.Errorf("read %d bytes, want %d", len(got), len(tt.want))
				}
				return
			}
			if !errors.Is(openErr, ErrNotText) || !strings.Contains(openErr.Error(), tt.why) {
				t.Errorf("open error %v, want ErrNotText saying %q", openErr, tt.why)
			}
		})
	}
}

// The decompressor is reused across streams of every kind, as a job's
// worker does.
func TestDecompressorReuse(t *testing.T) {
	plain := jsonLines(0, 10)
	streams := [][]byte{
		plain,
		gzipMember(t, plain, gzip.DefaultCompression, ""),
		cat(skippable(0, nil), zstdAll(t, plain)),
		{0x1f},
		plain,
		cat(gzipMember(t, plain, gzip.DefaultCompression, ""), []byte("x")),
		zstdAll(t, plain),
		noNUL(100),
		gzipMember(t, plain, gzip.DefaultCompression, ""),
		plain,
	}
	var d Decompressor
	defer d.Close()
	for round := range 2 {
		for i, in := range streams {
			got, _, openErr, readErr := readAll(&d, in)
			wantErr := i == 3 || i == 5 || i == 7
			if (openErr != nil || readErr != nil) != wantErr {
				t.Fatalf("round %d stream %d: open %v, read %v", round, i, openErr, readErr)
			}
			if openErr == nil && !bytes.Equal(got, plain) {
				t.Errorf("round %d stream %d: read %q", round, i, got)
			}
		}
	}
}

// Through Ingest: a byte-order mark at the start of an object, or of each
// concatenated file, does not make a line not_json; a pzstd-style stream is
// read event for event.
func TestIngestCompressedAndBOM(t *testing.T) {
	lines := jsonLines(0, 2000)
	withBOM := cat(utf8BOM, lines)
	for _, tt := range []struct {
		name   string
		in     []byte
		events int64
	}{
		{"plain", lines, 2000},
		{"plain with bom", withBOM, 2000},
		{"bom on a line of its own", cat(utf8BOM, []byte("\n"), lines), 2000},
		{"concatenated files with boms", cat(withBOM, withBOM), 4000},
		{"gzip with bom", gzipMember(t, withBOM, gzip.DefaultCompression, ""), 2000},
		{"gzip members with boms", cat(gzipMember(t, withBOM, 1, ""), gzipMember(t, withBOM, 1, "")), 4000},
		{"zstd with bom", zstdAll(t, withBOM), 2000},
		{"pzstd", cat(skippable(0, []byte{1, 2, 3, 4}), zstdAll(t, lines[:len(lines)/2]), skippable(0, []byte{5, 6, 7, 8}), zstdAll(t, lines[len(lines)/2:])), 2000},
		{"gzip with tape padding", cat(gzipMember(t, lines, 1, ""), make([]byte, 4000)), 2000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			defer d.Close()
			r, _, err := d.Open(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			p := NewPartial(defaultWindow, 0)
			if err := Ingest(context.Background(), r, NewDecoder(DefaultSpec()), p, IngestOptions{MaxLine: testMaxLine}); err != nil {
				t.Fatal(err)
			}
			if c := p.Counts; c.Events != tt.events || c.BadTotal() != 0 {
				t.Errorf("events %d, bad %v; want %d events, none bad", c.Events, c.Bad, tt.events)
			}
		})
	}
}

// Damage keeps the lines before it, through Ingest too.
func TestIngestDamagedKeepsEarlierLines(t *testing.T) {
	lines := jsonLines(0, 20000)
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"zstd cut", func() []byte { z := zstdStream(t, lines, 32<<10); return z[:len(z)/2] }()},
		{"gzip garbage", cat(gzipMember(t, lines, 1, ""), []byte("junk"))},
		{"gzip padding then garbage", cat(gzipMember(t, lines, 1, ""), make([]byte, 10), []byte("junk"))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var d Decompressor
			defer d.Close()
			r, _, err := d.Open(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			p := NewPartial(defaultWindow, 0)
			err = Ingest(context.Background(), r, NewDecoder(DefaultSpec()), p, IngestOptions{MaxLine: testMaxLine})
			if err == nil {
				t.Fatal("damage read without error")
			}
			if c := p.Counts; c.Events == 0 || c.BadTotal() != 0 {
				t.Errorf("events %d, bad %v; want the events before the damage, none bad", c.Events, c.Bad)
			}
		})
	}
}

// BenchmarkDecompressIngest is an object's path from its raw bytes: the
// codec and head checks of Open, decompression, lines, decode, windows.
func BenchmarkDecompressIngest(b *testing.B) {
	data := benchLines(20000)
	for _, bc := range []struct {
		name string
		in   []byte
	}{
		{"plain", data},
		{"gzip", gzipMember(b, data, gzip.DefaultCompression, "")},
		{"zstd", zstdAll(b, data)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var d Decompressor
			defer d.Close()
			dec := NewDecoder(DefaultSpec())
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, _, err := d.Open(bytes.NewReader(bc.in))
				if err != nil {
					b.Fatal(err)
				}
				p := NewPartial(5*time.Minute, 0)
				if err := Ingest(context.Background(), r, dec, p, IngestOptions{MaxLine: testMaxLine}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
