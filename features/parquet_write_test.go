package features

import (
	"bytes"
	"io"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// writeParquetReflect is WriteParquet as it was before rows were built as
// parquet values: each row set field by field on a struct of the schema's
// type and written through parquet-go's reflection. The test oracle.
func writeParquetReflect(w io.Writer, c Columns, rows []Row, metadata map[string]string) error {
	cols := c.Schema()
	t := parquetType(cols)
	schema, codec := parquetSchema(cols, ParquetZstd)
	opts := []parquet.WriterOption{schema, parquet.Compression(codec), parquet.CreatedBy("logsmith", "", "")}
	for _, k := range sortedKeys(metadata) {
		opts = append(opts, parquet.KeyValueMetadata(k, metadata[k]))
	}
	pw := parquet.NewWriter(w, opts...)
	v := reflect.New(t)
	for i := range rows {
		e := v.Elem()
		for j, c := range cols {
			x := c.Value(&rows[i])
			f := e.Field(j)
			if x == nil {
				f.SetZero()
				continue
			}
			if f.Kind() == reflect.Pointer {
				p := reflect.New(f.Type().Elem())
				p.Elem().Set(reflect.ValueOf(x))
				f.Set(p)
				continue
			}
			f.Set(reflect.ValueOf(x))
		}
		if err := pw.Write(v.Interface()); err != nil {
			return err
		}
	}
	return pw.Close()
}

// WriteParquet writes exactly the bytes of the reflection writer, for every
// column set (dimensions, status, bytes, distinct), nulls in every nullable
// column, any strings, row counts around its batches, and times before
// 1970 and in far years.
func TestWriteParquetMatchesReflection(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	f := func() *float64 {
		if rng.IntN(4) == 0 {
			return nil
		}
		x := rng.NormFloat64() * 1e3
		return &x
	}
	strs := []string{"", "a", "checkout", "ключ", "__other__", "a,b\"c\n", string(rune(0x1F600))}
	for _, c := range []Columns{{}, {Dims: []string{"service"}}, {Dims: []string{"a", "b"}, Status: true, Bytes: true, Distinct: true}} {
		for _, n := range []int{0, 1, 255, 256, 257, 1000} {
			rows := make([]Row, n)
			// Every field of the rows holds a random value of its column's
			// type, whatever the columns are.
			all := Columns{Dims: c.Dims, Status: true, Bytes: true, Distinct: true}
			for i := range rows {
				for _, col := range all.Schema() {
					var v any
					switch {
					case col.Type == "timestamp_ms_utc":
						v = time.Unix(rng.Int64N(1<<34)-(1<<33), 0).UTC()
					case col.Type == "string":
						v = strs[rng.IntN(len(strs))]
					case col.Type == "int64":
						v = rng.Int64() >> rng.IntN(64)
					case col.Nullable:
						if x := f(); x != nil {
							v = *x
						}
					default:
						v = rng.NormFloat64()
					}
					if err := col.Set(&rows[i], v); err != nil {
						t.Fatal(err)
					}
				}
			}
			meta := map[string]string{"logsmith.window": "5m", "k": "v"}
			var got, want bytes.Buffer
			if err := WriteParquet(&got, c, rows, meta); err != nil {
				t.Fatal(err)
			}
			if err := writeParquetReflect(&want, c, rows, meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("%+v, %d rows: %d bytes, the reflection writer %d (differ)", c, n, got.Len(), want.Len())
			}
		}
	}
}

func BenchmarkParquetEncodeReflect(b *testing.B) {
	rows, _ := benchPartial(100000).Table(Window{Size: 5 * time.Minute}, TableOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if err := writeParquetReflect(io.Discard, Columns{}, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// groupRows are the 36,000 rows of BenchmarkTableGroups' partial.
func groupRows(tb testing.TB) []Row {
	p := NewPartial(5*time.Minute, 0)
	p.maxGroups = 1 << 20
	rng := rand.New(rand.NewPCG(7, 7))
	evs := randomEvents(rng, 200000)
	for i := range evs {
		evs[i].Group = []byte(EncodeGroup([]string{"u" + strconv.Itoa(i%1000)}))
		p.Add(&evs[i])
	}
	rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dims: 1, MaxGroups: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	return rows
}

// BenchmarkParquetRows is the per-row cost of WriteParquet (36,000 rows of
// one dimension); BenchmarkParquetRowsReflect the reflection writer's.
func BenchmarkParquetRows(b *testing.B) {
	rows := groupRows(b)
	b.ResetTimer()
	for b.Loop() {
		if err := WriteParquet(io.Discard, Columns{Dims: []string{"user_id"}}, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

func BenchmarkParquetRowsReflect(b *testing.B) {
	rows := groupRows(b)
	b.ResetTimer()
	for b.Loop() {
		if err := writeParquetReflect(io.Discard, Columns{Dims: []string{"user_id"}}, rows, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

// The streaming writers give the bytes of WriteParquet and WriteCSV of
// all rows at once, however the rows are split between calls (as Rows
// hands them over, one window at a time), and keep nothing of a slice
// once it has been written: the caller reuses it.
func TestStreamingWritersMatchWholeFile(t *testing.T) {
	p := NewPartial(5*time.Minute, 1<<20)
	rng := rand.New(rand.NewPCG(11, 11))
	for i, e := range randomEvents(rng, 4000) {
		e.Group = []byte(EncodeGroup([]string{"g" + strconv.Itoa(i%37)}))
		e.Status, e.Bytes, e.HasBytes = int32(200+100*(i%4)), int64(i), true
		p.Add(&e)
	}
	cols := Columns{Dims: []string{"g"}, Status: true, Bytes: true}
	rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dims: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wantPQ, wantCSV bytes.Buffer
	if err := WriteParquet(&wantPQ, cols, rows, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&wantCSV, cols, rows); err != nil {
		t.Fatal(err)
	}
	for trial := range 5 {
		var pq, csv bytes.Buffer
		pw := NewParquetWriter(&pq, cols, map[string]string{"k": "v"})
		cw, err := NewCSVWriter(&csv, cols)
		if err != nil {
			t.Fatal(err)
		}
		var reused []Row
		for i := 0; i < len(rows); {
			n := min(len(rows)-i, rng.IntN(600))
			if trial == 0 {
				n = min(len(rows)-i, 1)
			}
			reused = append(reused[:0], rows[i:i+n]...)
			if err := pw.Write(reused); err != nil {
				t.Fatal(err)
			}
			if err := cw.Write(reused); err != nil {
				t.Fatal(err)
			}
			clear(reused)
			i += n
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pq.Bytes(), wantPQ.Bytes()) || !bytes.Equal(csv.Bytes(), wantCSV.Bytes()) || pw.Rows() != len(rows) {
			t.Fatalf("trial %d: streamed files differ from whole ones (%d rows written)", trial, pw.Rows())
		}
	}
}
