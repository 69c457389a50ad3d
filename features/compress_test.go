package features

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

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
