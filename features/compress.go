package features

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

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

// ErrNotText is wrapped by the error Open returns for a stream that must not
// be split into lines, because it is not text: it ends inside a gzip or zstd
// magic number, or the first 8 KiB of it (of its content, for gzip and zstd)
// start with the magic number of a format that is not read (bzip2, xz, zip,
// UTF-16, gzip or zstd inside gzip or zstd, ...), hold a NUL byte, or are
// more than one byte in eight invalid UTF-8 or control bytes other than
// BEL, BS, TAB, LF, VT, FF, CR and ESC.
var ErrNotText = errors.New("not text lines")

// Decompressor detects the compression of a stream from its magic bytes and
// decompresses it. It keeps its buffers and decoders between streams; it is
// not safe for concurrent use.
type Decompressor struct {
	br      *bufio.Reader // the raw stream
	tail    tailReader    // under br: the raw stream's last bytes
	gz      inflater      // reads one gzip member; the build chooses it (Inflater)
	members gzipMembers
	zstd    *zstd.Decoder
	latch   stickyReader
	out     *bufio.Reader // the decompressed stream, for its head
}

// readBufferSize is large so that reads from object storage are few and big.
const readBufferSize = 256 << 10

// sniffSize is how much of a stream's head is checked for binary data (git
// looks at 8000 bytes for the same purpose).
const sniffSize = 8 << 10

// Open returns a reader of the decompressed content of r and the codec found.
// The returned reader is valid until the next call to Open.
//
// Open reads the head of the stream, and of its decompressed content, once.
// A stream that is not text lines (see ErrNotText) or whose gzip header is
// damaged is an error wrapping the cause; an error reading r is returned
// wrapped too. Damage after the head is not an error of Open: the returned
// reader yields the content before it, then the error.
func (d *Decompressor) Open(r io.Reader) (io.Reader, Codec, error) {
	d.tail = tailReader{r: r}
	if d.br == nil {
		d.br = bufio.NewReaderSize(&d.tail, readBufferSize)
	} else {
		d.br.Reset(&d.tail)
	}
	head, err := d.br.Peek(sniffSize)
	if err != nil && err != io.EOF {
		return nil, CodecNone, fmt.Errorf("read header: %w", err)
	}
	atEOF := err == io.EOF
	var content io.Reader
	codec := DetectCodec(head)
	switch codec {
	case CodecNone:
		if _, err := Sniff(head, atEOF); err != nil {
			return nil, CodecNone, err
		}
		return d.br, CodecNone, nil
	case CodecGzip:
		if d.gz == nil {
			d.gz = newInflater()
		}
		if err := d.gz.reset(d.br); err != nil {
			return nil, CodecGzip, fmt.Errorf("open gzip stream: %w", err)
		}
		d.members = gzipMembers{br: d.br, gz: d.gz, n: 1, tail: &d.tail}
		d.members.started()
		content = &d.members
	case CodecZstd:
		if d.zstd == nil {
			d.zstd, err = zstd.NewReader(d.br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false),
				zstd.WithDecoderMaxWindow(MaxZstdWindow))
		} else {
			err = d.zstd.Reset(d.br)
		}
		if err != nil {
			return nil, CodecZstd, fmt.Errorf("open zstd stream: %w", err)
		}
		content = zstdWindowErr{d.zstd}
	}
	d.latch = stickyReader{r: content}
	if d.out == nil {
		d.out = bufio.NewReaderSize(&d.latch, sniffSize)
	} else {
		d.out.Reset(&d.latch)
	}
	// An error here is damage (or a failed read of r) inside the first
	// sniffSize bytes; the latch hands it to the caller's Read after the
	// content before it. Judge the content that was decoded.
	head, err = d.out.Peek(sniffSize)
	if inner := DetectCodec(head); inner != CodecNone {
		return nil, codec, fmt.Errorf("%w: %s content is itself %s-compressed", ErrNotText, codec, inner)
	}
	if why := notText(head, err == io.EOF); why != "" {
		return nil, codec, fmt.Errorf("%w: %s content: %s", ErrNotText, codec, why)
	}
	// Once the peeked head is read, bufio hands reads of at least sniffSize
	// bytes straight to the decoder: the content is not copied twice.
	return d.out, codec, nil
}

// SniffSize is how many bytes of a stream's head Open judges; a caller
// that decides from a head (such as whether an object may be read as
// several byte ranges) should hand Sniff this many.
const SniffSize = sniffSize

// Sniff judges a stream's head as Open does: its codec, and for an
// uncompressed head an error wrapping ErrNotText when the bytes are not
// text lines. atEOF says whether head is the whole stream.
func Sniff(head []byte, atEOF bool) (Codec, error) {
	codec := DetectCodec(head)
	if codec != CodecNone {
		return codec, nil
	}
	if atEOF {
		if why := truncatedMagic(head); why != "" {
			return codec, fmt.Errorf("%w: %s", ErrNotText, why)
		}
	}
	if why := notText(head, atEOF); why != "" {
		return codec, fmt.Errorf("%w: %s", ErrNotText, why)
	}
	return codec, nil
}

// OpenText returns r as text lines without judging its head: for a byte
// range in the middle of an object whose head Sniff accepted as text, so
// that the range is read exactly as it would be as part of the whole
// object. The returned reader is valid until the next Open or OpenText.
func (d *Decompressor) OpenText(r io.Reader) io.Reader {
	if d.br == nil {
		d.br = bufio.NewReaderSize(r, readBufferSize)
	} else {
		d.br.Reset(r)
	}
	return d.br
}

// Close releases the decoders' resources.
func (d *Decompressor) Close() {
	if d.gz != nil {
		d.gz.close()
		d.gz = nil
	}
	if d.zstd != nil {
		d.zstd.Close()
		d.zstd = nil
	}
}

// MaxZstdWindow is the largest window a zstd frame may declare (or, for a
// single-segment frame, the largest content it may hold): a decoder keeps
// its window in memory, one per worker, and the memory estimate counts
// this much. zstd's levels up to 19 use at most 8 MiB; --long and --ultra
// use more, and such frames are refused (the object is damaged).
const MaxZstdWindow = 8 << 20

// zstdWindowErr says which limit a zstd frame over MaxZstdWindow broke.
type zstdWindowErr struct{ r io.Reader }

func (z zstdWindowErr) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		err = fmt.Errorf("a zstd frame needs a window over %d MiB, the most a worker holds (written with zstd --long or --ultra?): %w",
			MaxZstdWindow>>20, err)
	}
	return n, err
}

// stickyReader returns r's first error, io.EOF included, on every Read
// after it, so an error that bufio's Peek consumed is seen again.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}

// gzipMembers reads the concatenated members of a gzip stream as gunzip
// does. After the last member only zero bytes may follow (padding, as tape
// archivers write it); any other trailing byte is damage, never dropped.
type gzipMembers struct {
	br   *bufio.Reader // the compressed stream; gz leaves it at a member's end when it ends the member
	gz   inflater      // the current member
	n    int           // the current member's number, from 1
	size int64         // the current member's content read so far
	tail *tailReader   // the compressed stream's last bytes
	data int64         // the offset of the current member's deflate data
	err  error
}

// started records where the member whose header was just read has its
// deflate data.
func (g *gzipMembers) started() { g.data = g.tail.read - int64(g.br.Buffered()) }

func (g *gzipMembers) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, g.err
	}
	for g.err == nil {
		n, err := g.gz.Read(p)
		g.size += int64(n)
		switch {
		case err == io.EOF:
			g.size = 0
			err = g.next()
		case errors.Is(err, io.ErrUnexpectedEOF) && g.trailerAtEnd():
			err = fmt.Errorf("member %d: %w", g.n, errRanIntoTrailer)
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

// errRanIntoTrailer is a member whose deflate data asked for more bytes
// than the stream holds, while the stream ends with what looks like that
// member's trailer: not a cut, but damage (a flipped bit near the end of
// the deflate data makes the inflater read the trailer as data).
var errRanIntoTrailer = errors.New("deflate data runs into what looks like the member's trailer (damaged, not cut)")

// trailerAtEnd says whether the stream, which the current member's deflate
// data ran past, ends with 8 bytes that may be that member's trailer: their
// size field (ISIZE, the content's length mod 2^32) is within trailerSlack
// of what the member decoded to. A flipped bit that runs the inflater into
// the trailer leaves it a few hundred bytes at most from the true length
// (TestIntegrityEveryBitFlip); a real cut ends in deflate data, whose last
// 4 bytes fall in the window about once in 32,768, and a cut inside the
// trailer leaves its size field shifted by at least a byte, out of the
// window unless the member holds under 257 bytes. Either mistake rejects
// a cut object whole: reported, never counted wrong.
func (g *gzipMembers) trailerAtEnd() bool {
	if g.tail.read-g.data < 8+2 { // a trailer after at least an empty final block
		return false
	}
	isize := binary.LittleEndian.Uint32(g.tail.last[4:])
	d := int64(int32(uint32(g.size) - isize)) // the distance mod 2^32, signed
	return -trailerSlack <= d && d <= trailerSlack
}

// trailerSlack bounds how far the content a damaged member decoded to may
// be from its true length for trailerAtEnd to see the trailer.
const trailerSlack = 64 << 10

// tailReader keeps the last 8 bytes read through it.
type tailReader struct {
	r    io.Reader
	last [8]byte
	read int64 // bytes read
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	switch {
	case n >= 8:
		copy(t.last[:], p[n-8:n])
	case n > 0:
		copy(t.last[:], t.last[n:])
		copy(t.last[8-n:], p[:n])
	}
	t.read += int64(n)
	return n, err
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
	if err := g.gz.reset(g.br); err != nil {
		return fmt.Errorf("member %d header: %w", g.n, err)
	}
	g.started()
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

// foreignMagics are the starts of compressed and container formats that are
// not read (bzip2 and legacy zstd are matched in foreignFormat). Each holds a
// byte that is not text, so a text stream (or a range of one) never matches.
var foreignMagics = []struct {
	magic []byte
	name  string
}{
	{[]byte("\xfd7zXZ\x00"), "xz"},
	{[]byte("\x04\x22\x4d\x18"), "lz4"},
	{[]byte("\x02\x21\x4c\x18"), "lz4 (legacy)"},
	{[]byte("\xff\x06\x00\x00sNaPpY"), "snappy (framed)"},
	{[]byte("PK\x03\x04"), "zip"},
	{[]byte("PK\x05\x06"), "zip"},
	{[]byte("7z\xbc\xaf\x27\x1c"), "7z"},
	{[]byte("LZIP\x01"), "lzip"},
	{[]byte("\x78\x01"), "zlib"},
	{[]byte("\x78\x9c"), "zlib"},
	{[]byte("\x78\xda"), "zlib"},
	{[]byte("Obj\x01"), "Avro"},
	{[]byte("\xff\xfe"), "UTF-16 (little endian)"},
	{[]byte("\xfe\xff"), "UTF-16 (big endian)"},
}

// foreignFormat names the format head starts with, or returns "".
func foreignFormat(head []byte) string {
	// bzip2: "BZh", the level 1-9, then a block or end-of-stream magic.
	if len(head) >= 10 && string(head[:3]) == "BZh" && head[3] >= '1' && head[3] <= '9' &&
		(string(head[4:10]) == "1AY&SY" || string(head[4:10]) == "\x17\x72\x45\x38\x50\x90") {
		return "bzip2"
	}
	if len(head) >= 4 && head[0] >= 0x1e && head[0] <= 0x27 && string(head[1:4]) == "\xb5\x2f\xfd" {
		return "zstd v0.x (legacy)"
	}
	for _, m := range foreignMagics {
		if bytes.HasPrefix(head, m.magic) {
			return m.name
		}
	}
	return ""
}

// truncatedMagic says whether a whole stream, head, ends inside a gzip or
// zstd magic number; one byte of zstd's (an ASCII letter) may be text.
func truncatedMagic(head []byte) string {
	switch {
	case len(head) == 0 || len(head) >= len(zstdMagic):
	case bytes.HasPrefix(gzipMagic, head):
		return "stream of 1 byte ends inside the gzip magic number"
	case len(head) < 2:
	case bytes.HasPrefix(zstdMagic, head):
		return fmt.Sprintf("stream of %d bytes ends inside the zstd magic number", len(head))
	case head[0]&0xf0 == 0x50 && bytes.HasPrefix(skippableMagic, head[1:]):
		return fmt.Sprintf("stream of %d bytes ends inside a zstd skippable frame's magic number", len(head))
	}
	return ""
}

// notText says why head, the first bytes of a stream (all of it when
// atEOF), is not text lines, or returns "" when it may be read as lines.
// The stream is binary when its head
//   - starts with the magic number of a format that is not read (see
//     foreignMagics; this includes UTF-16);
//   - holds a NUL byte: no log text has one, and nearly every binary format
//     does within its first few bytes;
//   - or has more than one byte in eight that is a control byte (other than
//     BEL, BS, TAB, LF, VT, FF, CR and ESC) or not part of valid UTF-8.
//
// Random or compressed data has about half its bytes so; a log with stray
// Latin-1 bytes or the raw bytes nginx leaves unescaped in a request has
// a few in a hundred, and those lines still decode.
func notText(head []byte, atEOF bool) string {
	if f := foreignFormat(head); f != "" {
		return f + " data (only gzip and zstd compressed UTF-8 text is read)"
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Sprintf("NUL byte at offset %d", i)
	}
	bad := 0
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(c >= 0x07 && c <= 0x0d || c == 0x1b) {
				bad++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			if !atEOF && !utf8.FullRune(head[i:]) {
				break // a character cut by the end of the head
			}
			bad++
		}
		i += size
	}
	if bad*8 > len(head) {
		return fmt.Sprintf("%d of the first %d bytes are control bytes or invalid UTF-8", bad, len(head))
	}
	return ""
}
