package synth

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var day = time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)

func object(t *testing.T, o Options, index int) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := Write(&b, o, day, index)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Gzip && !o.Zstd && n != int64(b.Len()) {
		t.Fatalf("Write said %d bytes, wrote %d", n, b.Len())
	}
	return b.Bytes()
}

// The bytes depend only on the options, the day and the index: benchmarks
// and golden files rely on it.
func TestDeterministic(t *testing.T) {
	o := Options{Objects: 4, Lines: 2000, Seed: 1, BadRatio: 0.01}
	a, b := object(t, o, 1), object(t, o, 1)
	if !bytes.Equal(a, b) {
		t.Fatal("the same object differs between two writes")
	}
	if bytes.Equal(a, object(t, o, 2)) {
		t.Fatal("two objects are equal")
	}
	o2 := o
	o2.Seed = 2
	if bytes.Equal(a, object(t, o2, 1)) {
		t.Fatal("the seed changes nothing")
	}
}

func TestCompressedHoldTheSameLines(t *testing.T) {
	o := Options{Objects: 2, Lines: 500, Seed: 7, BadRatio: 0.01}
	plain := object(t, o, 0)
	gz := o
	gz.Gzip = true
	zr, err := gzip.NewReader(bytes.NewReader(object(t, gz, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(zr); !bytes.Equal(got, plain) {
		t.Error("gzip object differs from the plain one")
	}
	zs := o
	zs.Zstd = true
	zd, _ := zstd.NewReader(bytes.NewReader(object(t, zs, 0)))
	defer zd.Close()
	if got, _ := io.ReadAll(zd); !bytes.Equal(got, plain) {
		t.Error("zstd object differs from the plain one")
	}
	for o, want := range map[Options]string{o: ".jsonl", gz: ".jsonl.gz", zs: ".jsonl.zst"} {
		if o.Ext() != want {
			t.Errorf("Ext = %q, want %q", o.Ext(), want)
		}
	}
}
