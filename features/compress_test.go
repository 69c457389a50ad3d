package features

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

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

func TestDecompressorDetects(t *testing.T) {
	plain := []byte("{\"a\":1}\n{\"a\":2}\n")
	var gz, multi, zs bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(plain)
	w.Close()
	// Two gzip members concatenated, as `cat a.gz b.gz` makes.
	multi.Write(gz.Bytes())
	multi.Write(gz.Bytes())
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	var d Decompressor
	defer d.Close()
	for _, tt := range []struct {
		in    []byte
		codec Codec
		want  []byte
	}{
		{plain, CodecNone, plain},
		{gz.Bytes(), CodecGzip, plain},
		{multi.Bytes(), CodecGzip, append(append([]byte{}, plain...), plain...)},
		{zs.Bytes(), CodecZstd, plain},
		{plain, CodecNone, plain}, // reuse after compressed streams
		{nil, CodecNone, nil},
		{[]byte{0x1f}, CodecNone, []byte{0x1f}},
	} {
		r, c, err := d.Open(bytes.NewReader(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if c != tt.codec || !bytes.Equal(got, tt.want) {
			t.Errorf("codec %v, %q; want %v, %q", c, got, tt.codec, tt.want)
		}
	}
}

func TestDecompressorCorrupt(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(bytes.Repeat([]byte("{\"a\":1}\n"), 1000))
	w.Close()
	trunc := gz.Bytes()[:gz.Len()/2]
	var d Decompressor
	r, _, err := d.Open(bytes.NewReader(trunc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); err == nil {
		t.Error("truncated gzip read without error")
	}
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
			if err := Ingest(context.Background(), r, NewDecoder(DefaultSpec()), p, IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			if c := p.Counts; c.Events != tt.events || c.BadTotal() != 0 {
				t.Errorf("events %d, bad %v; want %d events, none bad", c.Events, c.Bad, tt.events)
			}
		})
	}
}
