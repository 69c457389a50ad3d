package features

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"golang.org/x/sync/errgroup"
)

// ParquetCompression names how a Parquet file's pages are compressed.
type ParquetCompression string

// The Parquet compressions a file can be written with.
const (
	// ParquetZstd is zstd at Zstandard's level 3, or level 1 for the
	// pages of a column where level 1's output is no larger (see
	// columnZstd): the default.
	ParquetZstd ParquetCompression = "zstd"
	// ParquetZstdFastest is zstd at its fastest level (Zstandard's level
	// 1): less CPU to encode, larger files.
	ParquetZstdFastest ParquetCompression = "zstd-fastest"
	// ParquetSnappy is Snappy, the default of Spark and pyarrow.
	ParquetSnappy ParquetCompression = "snappy"
	// ParquetUncompressed writes pages as they are.
	ParquetUncompressed ParquetCompression = "none"
)

// ParquetCompressions lists every ParquetCompression, the default first.
var ParquetCompressions = []ParquetCompression{ParquetZstd, ParquetZstdFastest, ParquetSnappy, ParquetUncompressed}

// codec returns the compression's codec for every page of a file (zstd's
// are chosen per column: see parquetSchema).
func (c ParquetCompression) codec() compress.Codec {
	switch c {
	case ParquetZstd, "":
		return newPageZstd(zstd.SpeedDefault)
	case ParquetZstdFastest:
		return newPageZstd(zstd.SpeedFastest)
	case ParquetSnappy:
		return &snappy.Codec{}
	case ParquetUncompressed:
		return &uncompressed.Codec{}
	}
	panic(fmt.Sprintf("parquet compression %q: want one of %v", string(c), ParquetCompressions))
}

// Valid says whether c names a compression (see ParquetCompressions).
func (c ParquetCompression) Valid() bool { return slices.Contains(ParquetCompressions, c) }

// parquetType builds a struct type whose fields, in order, are the columns.
func parquetType(cols []Column) reflect.Type {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		f := reflect.StructField{Name: fmt.Sprintf("F%d", i)}
		tag := c.Name
		switch c.Type {
		case "timestamp_ms_utc":
			f.Type, tag = reflect.TypeFor[time.Time](), tag+",timestamp(millisecond:utc)"
		case "string":
			f.Type = reflect.TypeFor[string]()
		case "int64":
			f.Type = reflect.TypeFor[int64]()
		case "float64":
			f.Type = reflect.TypeFor[float64]()
			if c.Nullable {
				f.Type, tag = reflect.TypeFor[*float64](), tag+",optional"
			}
		}
		f.Tag = reflect.StructTag(`parquet:"` + tag + `"`)
		fields[i] = f
	}
	return reflect.StructOf(fields)
}

// WriteParquet writes rows as one zstd-compressed Parquet file with the
// given key-value metadata. The output depends only on its arguments.
func WriteParquet(w io.Writer, c Columns, rows []Row, metadata map[string]string) error {
	pw := NewParquetWriter(w, c, metadata)
	if err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}

// ParquetWriter writes one Parquet file from rows given a few at a time:
// the same bytes as WriteParquet of all of them, however they are split.
// It keeps no reference to the rows it was given.
type ParquetWriter struct {
	pw       *parquet.GenericWriter[any]
	out      io.Writer
	cols     []Column
	leaf     []int                   // leaf column index of cols[j]
	colw     []*parquet.ColumnWriter // by leaf index
	vals     [][]parquet.Value       // values of the pending rows, by leaf index
	pending  int                     // rows in vals
	n        int                     // rows written
	finished bool
}

// parquetChunk is how many rows go to the column writers at a time: the
// chunk parquet-go's own WriteRows hands them (its maxRowsPerWrite), so
// that pages end after the same rows as a file written through it, and
// the file's bytes do not depend on how the rows were split between calls.
const parquetChunk = 64

// NewParquetWriter starts a zstd-compressed Parquet file of table c's
// columns, with the given key-value metadata, on w.
func NewParquetWriter(w io.Writer, c Columns, metadata map[string]string) *ParquetWriter {
	return NewParquetWriterCompressed(w, c, metadata, ParquetZstd)
}

// NewParquetWriterCompressed is NewParquetWriter with the pages compressed
// as comp says; it panics on a name not in ParquetCompressions (settings
// refuse those before a run starts).
func NewParquetWriterCompressed(w io.Writer, c Columns, metadata map[string]string, comp ParquetCompression) *ParquetWriter {
	cols := c.Schema()
	schema, codec := parquetSchema(cols, comp)
	opts := []parquet.WriterOption{
		schema,
		parquet.Compression(codec),
		parquet.CreatedBy("logsmith", "", ""),
	}
	for _, k := range sortedKeys(metadata) {
		opts = append(opts, parquet.KeyValueMetadata(k, metadata[k]))
	}
	// Values are built column by column and given to each column's writer,
	// not through reflection over the struct type (which only fixes the
	// schema) nor assembled into rows for WriteRows to split again: the
	// same bytes (TestWriteParquetMatchesReflection).
	leaf := map[string]int{}
	for i, path := range schema.Columns() {
		leaf[path[0]] = i
	}
	p := &ParquetWriter{pw: parquet.NewGenericWriter[any](w, opts...), out: w, cols: cols, leaf: make([]int, len(cols)), vals: make([][]parquet.Value, len(cols))}
	for j, c := range cols {
		p.leaf[j] = leaf[c.Name]
		p.vals[j] = make([]parquet.Value, 0, parquetChunk)
	}
	p.colw = p.pw.ColumnWriters()
	return p
}

// flush gives the pending rows' values to the column writers, in leaf
// order, as parquet-go's WriteRows does with each chunk.
func (p *ParquetWriter) flush() error {
	for i, vals := range p.vals {
		if _, err := p.colw[i].WriteRowValues(vals); err != nil {
			return fmt.Errorf("write parquet rows: %w", err)
		}
		clear(vals) // no reference to the rows' strings stays behind
		p.vals[i] = vals[:0]
	}
	p.pending = 0
	return nil
}

// parallelRows is the fewest rows a Write hands to the columns at once,
// each column on a goroutine of its own, rather than one after another.
const parallelRows = 512

// Write adds rows to the file. Many rows at once are encoded a column per
// goroutine (up to GOMAXPROCS at a time): each column's values reach its
// writer in the same chunks as one after another would give them, and a
// column writer shares nothing with the others but parquet-go's
// synchronized pools, so the bytes are the same.
func (p *ParquetWriter) Write(rows []Row) error {
	procs := runtime.GOMAXPROCS(0)
	if len(rows) < parallelRows || procs < 2 {
		return p.write(rows)
	}
	errs := make([]error, len(p.cols))
	var g errgroup.Group
	g.SetLimit(procs)
	for j := range p.cols {
		g.Go(func() error {
			errs[j] = p.writeColumn(j, rows)
			return nil
		})
	}
	_ = g.Wait()
	p.pending = (p.pending + len(rows)) % parquetChunk
	p.n += len(rows)
	return errors.Join(errs...)
}

// writeColumn gives column j's values of rows to its writer as write does.
func (p *ParquetWriter) writeColumn(j int, rows []Row) error {
	c, l, pending := p.cols[j], p.leaf[j], p.pending
	vals := p.vals[l]
	defer func() { p.vals[l] = vals }()
	for len(rows) > 0 {
		k := min(len(rows), parquetChunk-pending)
		vals = appendParquetValues(vals, c, rows[:k], l)
		rows, pending = rows[k:], pending+k
		if pending == parquetChunk {
			if _, err := p.colw[l].WriteRowValues(vals); err != nil {
				return fmt.Errorf("write parquet rows: %w", err)
			}
			clear(vals) // no reference to the rows' strings stays behind
			vals, pending = vals[:0], 0
		}
	}
	return nil
}

// write gives rows to the column writers one column after another, a chunk
// of rows at a time.
func (p *ParquetWriter) write(rows []Row) error {
	for len(rows) > 0 {
		k := min(len(rows), parquetChunk-p.pending)
		for j, c := range p.cols {
			l := p.leaf[j]
			p.vals[l] = appendParquetValues(p.vals[l], c, rows[:k], l)
		}
		rows = rows[k:]
		p.pending += k
		p.n += k
		if p.pending == parquetChunk {
			if err := p.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Rows returns the number of rows written so far.
func (p *ParquetWriter) Rows() int { return p.n }

// Close writes the rows still buffered and the file's footer.
func (p *ParquetWriter) Close() error {
	if p.finished {
		return nil
	}
	p.finished = true
	if p.pending > 0 {
		if err := p.flush(); err != nil {
			return err
		}
	}
	// The row group's pages are written out at Close, all at once: a
	// buffer that can grow does so once to about the file's size, rather
	// than doubling its way there and holding the old and new copies. The
	// columns' last pages are compressed first (as Close would, the same
	// pages) so that the writer's size is what it will write, but the
	// footer.
	if g, ok := p.out.(interface{ Grow(int) }); ok {
		for _, c := range p.colw {
			if err := c.Flush(); err != nil {
				return fmt.Errorf("write parquet page: %w", err)
			}
		}
		n := p.pw.Size()
		g.Grow(int(n + n/64 + 64<<10))
	}
	if err := p.pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// appendParquetValues appends column c's values of rows, as parquetValue
// gives them, choosing the column's kind once rather than per value.
func appendParquetValues(dst []parquet.Value, c Column, rows []Row, j int) []parquet.Value {
	if c.ref == nil || len(rows) == 0 {
		for i := range rows {
			dst = append(dst, parquetValue(c, &rows[i], j))
		}
		return dst
	}
	switch c.ref(&rows[0]).(type) {
	case *int64:
		v := parquet.Int64Value(0).Level(0, 0, j)
		for i := range rows {
			dst = append(dst, withPayload(v, uint64(*c.ref(&rows[i]).(*int64))))
		}
	case **float64:
		v, null := parquet.DoubleValue(0).Level(0, 1, j), parquet.NullValue().Level(0, 0, j)
		for i := range rows {
			if f := *c.ref(&rows[i]).(**float64); f != nil {
				dst = append(dst, withPayload(v, math.Float64bits(*f)))
			} else {
				dst = append(dst, null)
			}
		}
	default:
		for i := range rows {
			dst = append(dst, parquetValue(c, &rows[i], j))
		}
	}
	return dst
}

// parquetValue is column c's value in row r as the parquet value of leaf
// column j: a timestamp as its milliseconds, null (definition level 0) for
// a nullable column's nil, definition level 1 for its values. It reads the
// Row field through its typed pointer: no value is boxed into an any, as
// Column.Value would, and a string's bytes are not copied (parquet-go
// copies them into its page buffer and never writes to them).
func parquetValue(c Column, r *Row, j int) parquet.Value {
	if c.ref == nil {
		s := ""
		if c.dim < len(r.Group) {
			s = r.Group[c.dim]
		}
		return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))).Level(0, 0, j)
	}
	switch p := c.ref(r).(type) {
	case *time.Time:
		return parquet.Int64Value(p.UnixMilli()).Level(0, 0, j)
	case *int64:
		return parquet.Int64Value(*p).Level(0, 0, j)
	case *float64:
		return parquet.DoubleValue(*p).Level(0, 0, j)
	case **float64:
		if *p == nil {
			return parquet.NullValue().Level(0, 0, j)
		}
		return parquet.DoubleValue(**p).Level(0, 1, j)
	case *string:
		return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(*p), len(*p))).Level(0, 0, j)
	}
	panic(fmt.Sprintf("parquet column %s: a Row field of type %T", c.Name, c.ref(r)))
}

// WriteCSV writes rows as CSV (RFC 4180, "\n" line ends) with a header row,
// spelled so that readers which guess column types from the text (DuckDB's
// read_csv, Polars) guess the Parquet twin's types from any value they see:
//
//   - timestamps: RFC 3339 in UTC with a Z, whole seconds
//     (2025-11-08T10:05:00Z); a timestamp with a fraction of a second is an
//     error, since every window bound is a whole second;
//   - int64: decimal digits, never a '.' or an exponent;
//   - float64: the shortest digits that read back as the same float64,
//     always with a '.' or an exponent (0.0, 100.0, 0.014, 1e-07), so a
//     column whose values happen to be integral is not taken for integers.
//     NaN and ±Inf are an error: the aggregates cannot produce them, and no
//     spelling of them reads as a number in both DuckDB and Polars;
//   - strings: as they are, quoted when they hold a comma, a quote, a line
//     break or start with a space; the empty string is written as "";
//   - null: an empty, unquoted field, and nothing else is written that way.
func WriteCSV(w io.Writer, c Columns, rows []Row) error {
	cw, err := NewCSVWriter(w, c)
	if err != nil {
		return err
	}
	if err := cw.Write(rows); err != nil {
		return err
	}
	return cw.Close()
}

// CSVWriter writes one CSV file, spelled as WriteCSV says, from rows given
// a few at a time: the same bytes as WriteCSV of all of them.
type CSVWriter struct {
	bw   *bufio.Writer
	cols []Column
	line []byte
	n    int // rows written
}

// NewCSVWriter starts a CSV file of table c's columns on w with its header
// row.
func NewCSVWriter(w io.Writer, c Columns) (*CSVWriter, error) {
	cw := &CSVWriter{bw: bufio.NewWriter(w), cols: c.Schema()}
	for i, col := range cw.cols {
		if i > 0 {
			cw.line = append(cw.line, ',')
		}
		cw.line = appendCSVString(cw.line, col.Name)
	}
	cw.line = append(cw.line, '\n')
	if _, err := cw.bw.Write(cw.line); err != nil {
		return nil, fmt.Errorf("write csv header: %w", err)
	}
	return cw, nil
}

// Write adds rows to the file.
func (cw *CSVWriter) Write(rows []Row) error {
	for i := range rows {
		cw.n++
		line := cw.line[:0]
		for j, col := range cw.cols {
			if j > 0 {
				line = append(line, ',')
			}
			var err error
			if line, err = appendCSVField(line, col, &rows[i]); err != nil {
				return fmt.Errorf("write csv row %d column %s: %w", cw.n, col.Name, err)
			}
		}
		line = append(line, '\n')
		cw.line = line
		if _, err := cw.bw.Write(line); err != nil {
			return fmt.Errorf("write csv row %d: %w", cw.n, err)
		}
	}
	return nil
}

// Close writes what is buffered.
func (cw *CSVWriter) Close() error {
	if err := cw.bw.Flush(); err != nil {
		return fmt.Errorf("flush csv: %w", err)
	}
	return nil
}

// appendCSVField appends column c's field of row r, as appendCSVValue
// would its Value, reading the Row field through its typed pointer
// instead of boxing it.
func appendCSVField(b []byte, c Column, r *Row) ([]byte, error) {
	if c.ref == nil {
		if c.dim < len(r.Group) {
			return appendCSVString(b, r.Group[c.dim]), nil
		}
		return appendCSVString(b, ""), nil
	}
	switch p := c.ref(r).(type) {
	case *int64:
		return strconv.AppendInt(b, *p, 10), nil
	case *float64:
		return appendCSVFloat(b, *p)
	case **float64:
		if *p == nil {
			return b, nil
		}
		return appendCSVFloat(b, **p)
	case *string:
		return appendCSVString(b, *p), nil
	case *time.Time:
		return appendCSVTime(b, *p)
	}
	panic(fmt.Sprintf("csv column %s: a Row field of type %T", c.Name, c.ref(r)))
}

// appendCSVValue appends one field: v is what a [Column] returns.
func appendCSVValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return b, nil
	case time.Time:
		return appendCSVTime(b, x)
	case string:
		return appendCSVString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		return appendCSVFloat(b, x)
	}
	return b, fmt.Errorf("no csv spelling for %T", v)
}

// appendCSVTime appends t in RFC 3339, UTC, whole seconds; a fraction of
// a second is an error.
func appendCSVTime(b []byte, t time.Time) ([]byte, error) {
	if t.Nanosecond() != 0 {
		return b, fmt.Errorf("timestamp %s is not a whole second", t.UTC().Format(time.RFC3339Nano))
	}
	return t.UTC().AppendFormat(b, time.RFC3339), nil
}

// appendCSVFloat appends f with the fewest digits that parse back to f:
// plain decimals for magnitudes from 1e-6 up to 1e21, as encoding/json
// does, exponent form outside, and ".0" after an integral plain decimal.
func appendCSVFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("%v is not finite", f)
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64), nil
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if !slices.Contains(b[n:], '.') {
		b = append(b, ".0"...)
	}
	return b, nil
}

// appendCSVString appends s, quoted where encoding/csv would quote it and
// also when it is empty, so that an unquoted empty field always means null.
func appendCSVString(b []byte, s string) []byte {
	r, _ := utf8.DecodeRuneInString(s)
	if s != "" && s != `\.` && !strings.ContainsAny(s, ",\"\r\n") && !unicode.IsSpace(r) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := range len(s) {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
