package features

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Codec is the compression of an input stream.
type Codec uint8

// Codecs recognised from a stream's first bytes.
const (
	CodecNone Codec = iota
	CodecGzip
	CodecZstd
)

// String returns the codec's name.
func (c Codec) String() string {
	switch c {
	case CodecGzip:
		return "gzip"
	case CodecZstd:
		return "zstd"
	}
	return "none"
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	// A zstd skippable frame starts with 0x184D2A50-0x184D2A5F, little
	// endian (RFC 8878, 3.1.2): any low nibble, then these three bytes.
	skippableMagic = []byte{0x2a, 0x4d, 0x18}
)

func isSkippableFrame(head []byte) bool {
	return len(head) >= 4 && head[0]&0xf0 == 0x50 && bytes.Equal(head[1:4], skippableMagic)
}

// DetectCodec tells the compression of a stream from its first four bytes.
// A zstd stream may begin with a skippable frame (pzstd writes one) as well
// as with a data frame.
func DetectCodec(head []byte) Codec {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return CodecGzip
	case bytes.HasPrefix(head, zstdMagic), isSkippableFrame(head):
		return CodecZstd
	}
	return CodecNone
}

// Decompressor detects the compression of a stream from its magic bytes and
// decompresses it. It keeps its buffers and decoders between streams; it is
// not safe for concurrent use.
type Decompressor struct {
	br      *bufio.Reader
	gz      *gzip.Reader
	members gzipMembers
	zstd    *zstd.Decoder
}

// readBufferSize is large so that reads from object storage are few and big.
const readBufferSize = 256 << 10

// Open returns a reader of the decompressed content of r and the codec found.
// The returned reader is valid until the next call to Open.
func (d *Decompressor) Open(r io.Reader) (io.Reader, Codec, error) {
	if d.br == nil {
		d.br = bufio.NewReaderSize(r, readBufferSize)
	} else {
		d.br.Reset(r)
	}
	head, err := d.br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, CodecNone, fmt.Errorf("read header: %w", err)
	}
	switch DetectCodec(head) {
	case CodecGzip:
		if d.gz == nil {
			d.gz, err = gzip.NewReader(d.br)
		} else {
			err = d.gz.Reset(d.br)
		}
		if err != nil {
			return nil, CodecGzip, fmt.Errorf("open gzip stream: %w", err)
		}
		d.gz.Multistream(false)
		d.members = gzipMembers{br: d.br, gz: d.gz, n: 1}
		return &d.members, CodecGzip, nil
	case CodecZstd:
		if d.zstd == nil {
			d.zstd, err = zstd.NewReader(d.br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false))
		} else {
			err = d.zstd.Reset(d.br)
		}
		if err != nil {
			return nil, CodecZstd, fmt.Errorf("open zstd stream: %w", err)
		}
		return d.zstd, CodecZstd, nil
	}
	return d.br, CodecNone, nil
}

// Close releases the decoders' resources.
func (d *Decompressor) Close() {
	if d.zstd != nil {
		d.zstd.Close()
		d.zstd = nil
	}
}

// gzipMembers reads the concatenated members of a gzip stream as gunzip
// does. After the last member only zero bytes may follow (padding, as tape
// archivers write it); any other trailing byte is damage, never dropped.
type gzipMembers struct {
	br  *bufio.Reader // the compressed stream; gz reads it byte by byte, so it is at a member's end when gz is
	gz  *gzip.Reader  // the current member, in single-member mode
	n   int           // the current member's number, from 1
	err error
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, g.err
	}
	for g.err == nil {
		n, err := g.gz.Read(p)
		switch {
		case err == io.EOF:
			err = g.next()
		case err != nil:
			err = fmt.Errorf("member %d: %w", g.n, err)
		}
		g.err = err
		if n > 0 {
			return n, nil
		}
	}
	return 0, g.err
}

// next starts the member after the current one. It returns io.EOF at the
// end of the stream or of its zero padding.
func (g *gzipMembers) next() error {
	head, err := g.br.Peek(1)
	if len(head) == 0 {
		return err // io.EOF, or the failed read
	}
	switch head[0] {
	case 0:
		return g.skipPadding()
	case gzipMagic[0]:
	default:
		return fmt.Errorf("byte %#02x after gzip member %d: trailing data is neither a member nor zero padding", head[0], g.n)
	}
	g.n++
	if err := g.gz.Reset(g.br); err != nil {
		return fmt.Errorf("member %d header: %w", g.n, err)
	}
	g.gz.Multistream(false)
	return nil
}

// skipPadding reads zero bytes to the end of the stream.
func (g *gzipMembers) skipPadding() error {
	var zeros int64
	for {
		b, err := g.br.Peek(max(g.br.Buffered(), 1))
		for i, c := range b {
			if c != 0 {
				return fmt.Errorf("byte %#02x after gzip member %d and %d zero bytes: trailing data is neither a member nor zero padding", c, g.n, zeros+int64(i))
			}
		}
		n, _ := g.br.Discard(len(b))
		zeros += int64(n)
		if err != nil {
			return err // io.EOF: the padding ran to the end
		}
	}
}
