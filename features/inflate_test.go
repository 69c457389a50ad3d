package features

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

// Both inflaters (go, and isal with -tags isal) are held to the same
// cases: scripts/test.sh runs this package under both builds.
func TestInflaterName(t *testing.T) {
	if n := Inflater(); n != "go" && n != "isal" {
		t.Fatalf("Inflater() = %q", n)
	}
	t.Logf("inflater: %s", Inflater())
}

// A bad trailer is gzip.ErrChecksum, corrupt deflate data an error, and a
// member read one byte at a time leaves the stream at the next member.
func TestInflaterDamageAndMembers(t *testing.T) {
	a, b := jsonLines(0, 500), jsonLines(500, 3000)
	m1 := gzipMember(t, a, gzip.BestCompression, "")
	m2 := gzipMember(t, b, gzip.HuffmanOnly, "b")
	stored := gzipMember(t, a, gzip.NoCompression, "")
	badCRC := bytes.Clone(m1)
	badCRC[len(badCRC)-8] ^= 1
	badSize := bytes.Clone(m1)
	binary.LittleEndian.PutUint32(badSize[len(badSize)-4:], uint32(len(a)+1))
	corrupt := bytes.Clone(m2)
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] = 0xff
	}
	for _, tt := range []struct {
		name    string
		in      []byte
		want    []byte // nil: a prefix of a+b
		wantErr string
		is      error
	}{
		{"members", cat(m1, stored, m2, m1), cat(a, a, b, a), "", nil},
		{"bad crc", badCRC, a, "member 1: gzip: invalid checksum", gzip.ErrChecksum},
		{"bad size", cat(m2, badSize), cat(b, a), "member 2: gzip: invalid checksum", gzip.ErrChecksum},
		{"corrupt deflate", cat(m1, corrupt), nil, "member 2: ", nil},
		{"cut in the trailer", cat(m1, m2[:len(m2)-1]), nil, "member 2: unexpected EOF", io.ErrUnexpectedEOF},
		{"cut in the data", cat(m1, m2[:30]), nil, "member 2: unexpected EOF", io.ErrUnexpectedEOF},
		{"cut after the header", cat(m1, m2[:12]), nil, "member 2: unexpected EOF", io.ErrUnexpectedEOF},
	} {
		for _, rd := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{
			{"whole", func(r io.Reader) io.Reader { return r }},
			{"one byte", iotest.OneByteReader},
			{"half", iotest.HalfReader},
			{"data+err", iotest.DataErrReader},
		} {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				var d Decompressor
				defer d.Close()
				r, codec, err := d.Open(rd.wrap(bytes.NewReader(tt.in)))
				if err != nil || codec != CodecGzip {
					t.Fatalf("open: %v %v", codec, err)
				}
				got, err := io.ReadAll(r)
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("read: %v", err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Fatalf("read error %v, want one saying %q", err, tt.wantErr)
				case tt.is != nil && !errors.Is(err, tt.is):
					t.Fatalf("read error %v is not %v", err, tt.is)
				}
				if tt.want != nil && !bytes.Equal(got, tt.want) {
					t.Fatalf("read %d bytes, want %d", len(got), len(tt.want))
				}
				if tt.want == nil && !bytes.HasPrefix(cat(a, b), got) {
					t.Fatalf("read %d bytes that are not the content's start", len(got))
				}
			})
		}
	}
}

// BenchmarkInflate is the gzip decompress-only path of Open: compare the
// builds with benchstat (go test -bench Inflate, with and without -tags isal).
func BenchmarkInflate(b *testing.B) {
	data := benchLines(20000)
	in := gzipMember(b, data, gzip.DefaultCompression, "")
	var d Decompressor
	defer d.Close()
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, _, err := d.Open(bytes.NewReader(in))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
