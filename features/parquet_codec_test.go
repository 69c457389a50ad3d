package features

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"

	kzstd "github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// codecPages returns pages of the kinds a column's pages are made of:
// measured floats (few repeats), floats of few distinct values, runs of
// one value, counters, text, random bytes, and pages that mix them.
func codecPages(rng *rand.Rand, n int) [][]byte {
	kinds := []func(int) []byte{
		func(m int) []byte { // latencies: normal, 64 bits of noise
			b := make([]byte, 0, m*8)
			for range m {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(math.Abs(rng.NormFloat64())*120))
			}
			return b
		},
		func(m int) []byte { // whole milliseconds as floats
			b := make([]byte, 0, m*8)
			for range m {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(rng.IntN(400))))
			}
			return b
		},
		func(m int) []byte { // one value (a window's start, a zero deviation)
			v := rng.Uint64()
			b := make([]byte, 0, m*8)
			for range m {
				b = binary.LittleEndian.AppendUint64(b, v)
			}
			return b
		},
		func(m int) []byte { // small counts
			b := make([]byte, 0, m*8)
			for range m {
				b = binary.LittleEndian.AppendUint64(b, uint64(rng.IntN(5)))
			}
			return b
		},
		func(m int) []byte { // keys
			b := make([]byte, 0, m*8)
			for len(b) < m*8 {
				b = append(b, "user-"...)
				b = binary.AppendUvarint(b, uint64(rng.IntN(100000)))
			}
			return b
		},
		func(m int) []byte { // random bytes
			b := make([]byte, m*8)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			return b
		},
	}
	pages := make([][]byte, n)
	for i := range pages {
		m := []int{0, 1, 7, 100, 4096, 32768}[rng.IntN(6)]
		page := kinds[rng.IntN(len(kinds))](m)
		if rng.IntN(4) == 0 { // a page that changes kind halfway
			page = append(page[:len(page)/2], kinds[rng.IntN(len(kinds))](m/2)...)
		}
		pages[i] = page
	}
	return pages
}

// Over any sequence of pages, a column's codec writes each page so that
// zstd decodes it to its bytes; a probe page at the smaller of the two
// levels (level 1 on a tie) and every other page at the last probe's
// level, byte for byte; and the same sequence to the same bytes.
func TestColumnZstdPages(t *testing.T) {
	dec, err := kzstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	fast, _ := kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.SpeedFastest), kzstd.WithEncoderConcurrency(1), kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false))
	dflt, _ := kzstd.NewWriter(nil, kzstd.WithEncoderLevel(kzstd.SpeedDefault), kzstd.WithEncoderConcurrency(1), kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false))
	levelsChosen := map[bool]int{}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 27))
		pages := codecPages(rng, 2+rng.IntN(3*probePages))
		levels := newZstdLevels()
		c, twin := &columnZstd{levels: levels}, &columnZstd{levels: newZstdLevels()}
		useFast := false
		var dst []byte
		for i, page := range pages {
			got, err := c.Encode(dst, page)
			if err != nil {
				t.Fatal(err)
			}
			dst = got
			back, err := dec.DecodeAll(got, nil)
			if err != nil || !bytes.Equal(back, page) {
				t.Fatalf("seed %d page %d (%d bytes): decodes to %d bytes, %v", seed, i, len(page), len(back), err)
			}
			f, d := fast.EncodeAll(page, nil), dflt.EncodeAll(page, nil)
			if i%probePages == 0 {
				useFast = len(f) <= len(d)
				levelsChosen[useFast]++
			}
			want := d
			if useFast {
				want = f
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("seed %d page %d (probe %v, level 1 %v): %d bytes, want the %d of that level (level 1 %d, level 3 %d)",
					seed, i, i%probePages == 0, useFast, len(got), len(want), len(f), len(d))
			}
			again, _ := twin.Encode(nil, page)
			if !bytes.Equal(again, got) {
				t.Fatalf("seed %d page %d: a second codec given the same pages wrote other bytes", seed, i)
			}
		}
	}
	if levelsChosen[true] == 0 || levelsChosen[false] == 0 {
		t.Fatalf("probes chose level 1 %d times and level 3 %d times: the pages do not reach both", levelsChosen[true], levelsChosen[false])
	}
}

// withPayload gives what parquet-go's constructors and Level give, for any
// bits, either kind, any levels and column; and with this parquet-go it
// does so by writing the bits in place (payloadAt found), not through the
// fallback.
func TestWithPayloadMatchesConstructors(t *testing.T) {
	if payloadAt < 0 && unsafe.Sizeof(uintptr(0)) == 8 {
		t.Fatal("parquet.Value's payload was not found: values are built through Level, the slower way")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 20000 {
		u := rng.Uint64() >> rng.IntN(64)
		if i%7 == 0 {
			u = []uint64{0, math.MaxUint64, 1 << 63, math.Float64bits(math.NaN()), math.Float64bits(math.Inf(1))}[i%5]
		}
		rep, def, col := rng.IntN(3), rng.IntN(3), rng.IntN(1000)
		if got, want := withPayload(parquet.Int64Value(int64(rng.Uint64())).Level(rep, def, col), u), parquet.Int64Value(int64(u)).Level(rep, def, col); got != want {
			t.Fatalf("int64 %#x at (%d, %d, %d): %v, want %v", u, rep, def, col, got, want)
		}
		if got, want := withPayload(parquet.DoubleValue(rng.Float64()).Level(rep, def, col), u), parquet.DoubleValue(math.Float64frombits(u)).Level(rep, def, col); got != want {
			t.Fatalf("double %#x at (%d, %d, %d): %v, want %v", u, rep, def, col, got, want)
		}
		if got, want := levelPayload(parquet.DoubleValue(0).Level(rep, def, col), u), parquet.DoubleValue(math.Float64frombits(u)).Level(rep, def, col); got != want {
			t.Fatalf("fallback, double %#x: %v, want %v", u, got, want)
		}
		if got, want := levelPayload(parquet.Int64Value(0).Level(rep, def, col), u), parquet.Int64Value(int64(u)).Level(rep, def, col); got != want {
			t.Fatalf("fallback, int64 %#x: %v, want %v", u, got, want)
		}
	}
}

// The per-column schema is the plain one in every other respect: with the
// plain codec in every column, the files are byte-identical to those of
// the schema parquet-go derives from the row type.
func TestPerColumnSchemaIsThePlainOne(t *testing.T) {
	rows := groupRows(t)
	for _, c := range []Columns{{}, {Dims: []string{"user_id"}, Status: true, Bytes: true, Distinct: true}} {
		write := func(wrap bool) []byte {
			cols := c.Schema()
			schema := parquet.SchemaOf(reflect.New(parquetType(cols)).Interface())
			codec := ParquetZstd.codec()
			if wrap {
				schema = perColumn(schema, func() compress.Codec { return codec })
			}
			var b bytes.Buffer
			pw := parquet.NewGenericWriter[any](&b, schema, parquet.Compression(codec), parquet.CreatedBy("logsmith", "", ""))
			leaf := map[string]int{}
			for i, path := range schema.Columns() {
				leaf[path[0]] = i
			}
			batch := make([]parquet.Row, 0, len(rows))
			for i := range rows {
				row := make(parquet.Row, len(cols))
				for _, col := range cols {
					row[leaf[col.Name]] = parquetValue(col, &rows[i], leaf[col.Name])
				}
				batch = append(batch, row)
			}
			if _, err := pw.WriteRows(batch); err != nil {
				t.Fatal(err)
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}
		if a, b := write(true), write(false); !bytes.Equal(a, b) {
			t.Fatalf("%+v: %d bytes with the per-column schema, %d with the plain one (differ)", c, len(a), len(b))
		}
	}
}

// Every compression name has a codec that round-trips a page; a name
// outside the list panics rather than quietly writing another
// compression (settings refuse such names before a run starts).
func TestParquetCompressionCodecs(t *testing.T) {
	page := bytes.Repeat([]byte("latency 12.5 ms; "), 20000) // 340 KB, a large page
	for _, c := range ParquetCompressions {
		codec := c.codec()
		enc, err := codec.Encode(nil, page)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		dec, err := codec.Decode(nil, enc)
		if err != nil || !bytes.Equal(dec, page) {
			t.Errorf("%s: page does not round-trip (%v)", c, err)
		}
	}
	for _, bad := range []ParquetCompression{"gzip", "ZSTD", "zstd ", "lz4"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("compression %q: no panic", bad)
				}
			}()
			bad.codec()
		}()
	}
}
