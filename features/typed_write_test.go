package features

import (
	"bytes"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// The CSV writer reads each Row field through its typed pointer: every
// column of every table spells a field, or refuses it, exactly as
// appendCSVValue does Column.Value's boxed value.
func TestCSVFieldMatchesValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	strs := []string{"", "a", "a,b", " x", `say "hi"`, "two\nlines", `\.`, "ключ"}
	floats := []float64{0, math.Copysign(0, -1), 1, 0.014, 1e-7, 1e21, math.NaN(), math.Inf(1)}
	f := func() *float64 {
		switch rng.IntN(4) {
		case 0:
			return nil
		case 1:
			x := floats[rng.IntN(len(floats))]
			return &x
		}
		x := rng.NormFloat64() * 1e3
		return &x
	}
	all := Columns{Dims: []string{"a", "b"}, Status: true, Bytes: true, Distinct: true}
	for range 2000 {
		r := Row{
			WindowStart: time.Unix(rng.Int64N(1<<34), 0), WindowEnd: time.Unix(rng.Int64N(1<<34), int64(rng.IntN(2))*500),
			RequestCount: rng.Int64() >> rng.IntN(64), ErrorCount: -rng.Int64N(9), WarnCount: rng.Int64N(9),
			ErrorRate: f(), LatencyAvg: f(), LatencyMin: f(), LatencyMax: f(), LatencyStddev: f(),
			LatencyP50: f(), LatencyP90: f(), LatencyP95: f(), LatencyP99: f(),
			Status2xx: rng.Int64(), Status5xx: -1, BytesSum: rng.Int64N(1e12), DistinctCount: rng.Int64N(1e6),
		}
		r.Group = []string{strs[rng.IntN(len(strs))], strs[rng.IntN(len(strs))]}[:rng.IntN(3)]
		for _, c := range all.Schema() {
			want, werr := appendCSVValue([]byte("x,"), c.Value(&r))
			got, gerr := appendCSVField([]byte("x,"), c, &r)
			if string(got) != string(want) || (gerr == nil) != (werr == nil) {
				t.Fatalf("column %s of %+v: got %q, %v; want %q, %v", c.Name, r, got, gerr, want, werr)
			}
		}
	}
}

// compareCells, which compares the decoded first values before the keys,
// and compareOrder, which compares their 8-byte prefixes before those,
// order any keys as compareGroups does: one or more dimensions, values
// that are prefixes of each other (within 8 bytes and beyond), share 8
// bytes, hold NUL or high bytes, empty ones, and malformed keys.
func TestCompareCellsMatchesCompareGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	vals := []string{"", "a", "ab", "b", "a\x00", "\xff", "k1", "k10", "k2",
		"abcdefgh", "abcdefg", "abcdefgh\x00", "abcdefghi", "abcdefgi", "abcdefg\x00", "\x00",
		"\xff\xff\xff\xff\xff\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\x01", "user-000000001", "user-000000002"}
	var keys []string
	for range 300 {
		n := 1 + rng.IntN(3)
		g := make([]string, n)
		for i := range g {
			g[i] = vals[rng.IntN(len(vals))]
		}
		k := EncodeGroup(g)
		if rng.IntN(20) == 0 {
			k = k[:rng.IntN(len(k)+1)] + "\x7f" // malformed
		}
		keys = append(keys, k)
	}
	for range 2000 { // any bytes as a value, 0 to 12 of them
		v := make([]byte, rng.IntN(13))
		for i := range v {
			v[i] = byte(rng.IntN(4)) * 0x55 // 0x00, 0x55, 0xaa, 0xff: many shared prefixes
		}
		keys = append(keys, EncodeGroup([]string{string(v)}))
	}
	for _, a := range keys {
		for _, b := range keys {
			fa, _ := nextGroupValue(a)
			fb, _ := nextGroupValue(b)
			cells := []groupCell{{first: fa, key: a}, {first: fb, key: b}}
			want := compareGroups(a, b)
			if got := compareCells(cells[0], cells[1]); got != want {
				t.Fatalf("compareCells(%q, %q) = %d, compareGroups %d", a, b, got, want)
			}
			x, y := cellOrder{prefix: orderPrefix(fa), i: 0}, cellOrder{prefix: orderPrefix(fb), i: 1}
			if got := compareOrder(x, y, cells); got != want {
				t.Fatalf("compareOrder(%q, %q) = %d, compareGroups %d", a, b, got, want)
			}
		}
	}
}

// rowBuilder.group decodes a key as DecodeGroup does, whatever the number
// of dimensions and the keys before it in its block.
func TestRowBuilderGroupMatchesDecodeGroup(t *testing.T) {
	var b rowBuilder
	keys := []string{"", EncodeGroup([]string{"a"}), EncodeGroup([]string{"a", "bc", ""}), "\x05ab", EncodeGroup([]string{"x", "y"})}
	var got, want [][]string
	for i := range 3000 {
		k, dims := keys[i%len(keys)], 1+i%4
		got = append(got, b.group(k, dims))
		want = append(want, DecodeGroup(k, dims))
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("row %d: group %q, DecodeGroup %q", i, got[i], want[i])
		}
	}
}

// writeParquetRows is the writer before values went to the column writers
// directly: rows assembled from parquetValue and given to parquet-go's
// WriteRows 256 at a time. It is the oracle for page boundaries, which
// the reflection oracle's small files never reach.
func writeParquetRows(w io.Writer, c Columns, rows []Row, metadata map[string]string) error {
	cols := c.Schema()
	schema, codec := parquetSchema(cols, ParquetZstd)
	opts := []parquet.WriterOption{schema, parquet.Compression(codec), parquet.CreatedBy("logsmith", "", "")}
	for _, k := range sortedKeys(metadata) {
		opts = append(opts, parquet.KeyValueMetadata(k, metadata[k]))
	}
	leaf := map[string]int{}
	for i, path := range schema.Columns() {
		leaf[path[0]] = i
	}
	pw := parquet.NewGenericWriter[any](w, opts...)
	var batch []parquet.Row
	for i := range rows {
		row := make(parquet.Row, 0, len(cols))
		for _, c := range cols {
			row = append(row, parquetValue(c, &rows[i], leaf[c.Name]))
		}
		slices.SortStableFunc(row, func(a, b parquet.Value) int { return a.Column() - b.Column() })
		if batch = append(batch, row); len(batch) == 256 || i == len(rows)-1 {
			if _, err := pw.WriteRows(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return pw.Close()
}

// Files of many pages per column (here ~115,000 rows of two dimensions,
// every optional column) have the bytes parquet-go's WriteRows gives them,
// however the rows are split between calls: pages end after the same rows.
func TestParquetWriterPagesMatchWriteRows(t *testing.T) {
	evs := groupedEvents()[:120000]
	p := NewPartial(5*time.Minute, 1<<20)
	for i := range evs {
		e := evs[i]
		e.Group = []byte(EncodeGroup([]string{string(e.Group), strconv.Itoa(i % 3)}))
		e.Status, e.Bytes, e.HasBytes = int32(200+100*(i%4)), int64(i), true
		p.Add(&e)
	}
	cols := Columns{Dims: []string{"k", "n"}, Status: true, Bytes: true}
	rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dims: 2})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := writeParquetRows(&want, cols, rows, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	var got bytes.Buffer
	pw := NewParquetWriter(&got, cols, map[string]string{"k": "v"})
	for i := 0; i < len(rows); {
		n := min(len(rows)-i, rng.IntN(9000))
		if err := pw.Write(rows[i : i+n]); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(got.Bytes()), int64(got.Len()))
	if err != nil {
		t.Fatal(err)
	}
	pages := 0
	for _, c := range f.RowGroups()[0].ColumnChunks() {
		if idx, err := c.OffsetIndex(); err == nil {
			pages = max(pages, idx.NumPages())
		}
	}
	if pages < 2 {
		t.Fatalf("%d rows fill %d page per column: the test does not reach a page boundary", len(rows), pages)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("%d rows (%d pages): %d bytes, WriteRows %d (differ)", len(rows), pages, got.Len(), want.Len())
	}
	// The buffer grew once, to about the file's size, at Close, not by
	// doubling (which leaves up to twice the file allocated, and held
	// the old copy beside the new one while it grew).
	if c := cap(got.Bytes()); c > got.Len()*9/8 {
		t.Errorf("the %d-byte file's buffer grew to %d bytes", got.Len(), c)
	}
}

// Encoding a row allocates nothing of its own: no value is boxed, no
// string copied, no row assembled (parquet-go's pages aside).
func TestParquetWriterAllocations(t *testing.T) {
	rows := groupRows(t)
	cols := Columns{Dims: []string{"user_id"}}
	allocs := testing.AllocsPerRun(2, func() {
		pw := NewParquetWriter(io.Discard, cols, nil)
		if err := pw.Write(rows); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	})
	if per := allocs / float64(len(rows)); per > 0.1 {
		t.Errorf("%.2f allocations per row, want at most 0.1", per)
	}
}
