package features

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// SchemaVersion is the version of the feature table's schema: the minor
// part grows when a column is added, the major part when one is renamed or
// removed. 2.0 put the unit in the latency columns' names.
const SchemaVersion = "2.0"

// Row is one window of one group. Which fields are written depends on the
// table's [Columns].
type Row struct {
	WindowStart   time.Time
	WindowEnd     time.Time
	Group         []string // dimension values, in Columns.Dims order
	RequestCount  int64
	ErrorCount    int64
	WarnCount     int64
	ErrorRate     *float64 // nil when the window has no requests
	LatencyAvg    *float64 // latencies in ms; nil without latencies
	LatencyMin    *float64
	LatencyMax    *float64
	LatencyStddev *float64
	LatencyP50    *float64
	LatencyP90    *float64
	LatencyP95    *float64
	LatencyP99    *float64
	Status2xx     int64
	Status3xx     int64
	Status4xx     int64
	Status5xx     int64
	BytesSum      int64
	DistinctCount int64
}

// Columns says which optional columns a table has.
type Columns struct {
	Dims     []string // dimension column names, from the group-by fields
	Status   bool
	Bytes    bool
	Distinct bool
}

// Column describes one output column.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // timestamp_ms_utc, string, int64 or float64
	Nullable bool   `json:"nullable"`
	Unit     string `json:"unit,omitempty"`
	Meaning  string `json:"meaning"`
	get      func(*Row) any
}

// DimColumn turns a group-by field path into its column name.
func DimColumn(field string) string {
	if keys, err := ParsePath(field); err == nil {
		field = strings.Join(keys, ".") // a quoted key is named without its quotes
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, field)
}

// Value returns column c's value in row r: a time.Time, string, int64 or
// float64, or nil for a null.
func (c Column) Value(r *Row) any { return c.get(r) }

func f64(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Schema lists the table's columns in their fixed order: window bounds,
// dimensions, counts, latency statistics, then the optional features.
func (c Columns) Schema() []Column {
	cols := []Column{
		{Name: "window_start", Type: "timestamp_ms_utc", Meaning: "window start, inclusive", get: func(r *Row) any { return r.WindowStart }},
		{Name: "window_end", Type: "timestamp_ms_utc", Meaning: "window end, exclusive", get: func(r *Row) any { return r.WindowEnd }},
	}
	for i, d := range c.Dims {
		cols = append(cols, Column{Name: d, Type: "string", Meaning: "group-by dimension (empty when the field is missing; __other__ for groups beyond the cap)",
			get: func(r *Row) any {
				if i < len(r.Group) {
					return r.Group[i]
				}
				return ""
			}})
	}
	lat := func(name, meaning string, f func(*Row) *float64) Column {
		return Column{Name: name, Type: "float64", Nullable: true, Unit: "ms", Meaning: meaning, get: func(r *Row) any { return f64(f(r)) }}
	}
	cols = append(cols,
		Column{Name: "request_count", Type: "int64", Meaning: "events (decoded lines) in the window", get: func(r *Row) any { return r.RequestCount }},
		Column{Name: "error_count", Type: "int64", Meaning: "events at ERROR, FATAL or CRITICAL (or with status >= the error status when the line has no level)", get: func(r *Row) any { return r.ErrorCount }},
		Column{Name: "warn_count", Type: "int64", Meaning: "events at WARN or WARNING", get: func(r *Row) any { return r.WarnCount }},
		Column{Name: "error_rate", Type: "float64", Nullable: true, Meaning: "error_count / request_count; null when there are no requests", get: func(r *Row) any { return f64(r.ErrorRate) }},
		lat("latency_avg_ms", "mean latency", func(r *Row) *float64 { return r.LatencyAvg }),
		lat("latency_min_ms", "minimum latency", func(r *Row) *float64 { return r.LatencyMin }),
		lat("latency_max_ms", "maximum latency", func(r *Row) *float64 { return r.LatencyMax }),
		lat("latency_stddev_ms", "population standard deviation of latency", func(r *Row) *float64 { return r.LatencyStddev }),
		lat("latency_p50_ms", "median latency (DDSketch, 1% relative error)", func(r *Row) *float64 { return r.LatencyP50 }),
		lat("latency_p90_ms", "90th percentile latency (DDSketch, 1%)", func(r *Row) *float64 { return r.LatencyP90 }),
		lat("latency_p95_ms", "95th percentile latency (DDSketch, 1%)", func(r *Row) *float64 { return r.LatencyP95 }),
		lat("latency_p99_ms", "99th percentile latency (DDSketch, 1%)", func(r *Row) *float64 { return r.LatencyP99 }),
	)
	if c.Status {
		cols = append(cols,
			Column{Name: "status_2xx", Type: "int64", Meaning: "events with status 200-299", get: func(r *Row) any { return r.Status2xx }},
			Column{Name: "status_3xx", Type: "int64", Meaning: "events with status 300-399", get: func(r *Row) any { return r.Status3xx }},
			Column{Name: "status_4xx", Type: "int64", Meaning: "events with status 400-499", get: func(r *Row) any { return r.Status4xx }},
			Column{Name: "status_5xx", Type: "int64", Meaning: "events with status 500-599", get: func(r *Row) any { return r.Status5xx }},
		)
	}
	if c.Bytes {
		cols = append(cols, Column{Name: "bytes_sum", Type: "int64", Unit: "bytes", Meaning: "sum of the bytes field", get: func(r *Row) any { return r.BytesSum }})
	}
	if c.Distinct {
		cols = append(cols, Column{Name: "distinct_count", Type: "int64", Meaning: "approximate distinct values of the distinct field (HyperLogLog, ~0.81% standard error)", get: func(r *Row) any { return r.DistinctCount }})
	}
	return cols
}

// Validate checks that no two columns share a name, and that no
// dimension is named like one of reserved (the layout's partition keys)
// or like a metric column the table could have, ignoring case: readers
// such as DuckDB, Spark and Polars resolve column names without regard
// to case and add a hive layout's keys as columns, so a clash there reads
// one column's values under the other's name.
func (c Columns) Validate(reserved ...string) error {
	seen := map[string]string{}
	for _, r := range reserved {
		seen[strings.ToLower(r)] = r
	}
	metrics := Columns{Status: c.Status, Bytes: c.Bytes, Distinct: c.Distinct}
	all := Columns{Status: true, Bytes: true, Distinct: true}
	for _, col := range all.Schema() {
		if !metrics.has(col.Name) {
			seen[strings.ToLower(col.Name)] = col.Name
		}
	}
	for _, col := range c.Schema() {
		k := strings.ToLower(col.Name)
		if other, ok := seen[k]; ok {
			if other == col.Name {
				return fmt.Errorf("column %q appears twice (group by another field)", col.Name)
			}
			return fmt.Errorf("column %q clashes with %q: readers do not tell names apart by case (group by another field)", col.Name, other)
		}
		seen[k] = col.Name
	}
	return nil
}

// has reports whether the table has the column name.
func (c Columns) has(name string) bool {
	for _, col := range c.Schema() {
		if col.Name == name {
			return true
		}
	}
	return false
}

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
	pw       *parquet.Writer
	cols     []Column
	idx      []int
	inOrder  bool
	buf      []parquet.Row
	vals     []parquet.Value
	n        int // rows written
	finished bool
}

// parquetBatch is how many rows go to the Parquet writer at a time.
const parquetBatch = 256

// NewParquetWriter starts a zstd-compressed Parquet file of table c's
// columns, with the given key-value metadata, on w.
func NewParquetWriter(w io.Writer, c Columns, metadata map[string]string) *ParquetWriter {
	cols := c.Schema()
	t := parquetType(cols)
	schema := parquet.SchemaOf(reflect.New(t).Interface())
	opts := []parquet.WriterOption{
		schema,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.CreatedBy("logsmith", "", ""),
	}
	for _, k := range sortedKeys(metadata) {
		opts = append(opts, parquet.KeyValueMetadata(k, metadata[k]))
	}
	// Rows are built as parquet values, column by column, not through
	// reflection over the struct type (which only fixes the schema): the
	// same bytes (TestWriteParquetMatchesReflection), a third of the time.
	leaf := map[string]int{}
	for i, path := range schema.Columns() {
		leaf[path[0]] = i
	}
	p := &ParquetWriter{pw: parquet.NewWriter(w, opts...), cols: cols, idx: make([]int, len(cols)), inOrder: true}
	for j, c := range cols {
		p.idx[j] = leaf[c.Name]
		p.inOrder = p.inOrder && p.idx[j] == j
	}
	p.buf = make([]parquet.Row, 0, parquetBatch)
	p.vals = make([]parquet.Value, 0, parquetBatch*len(cols))
	return p
}

func (p *ParquetWriter) flush() error {
	if _, err := p.pw.WriteRows(p.buf); err != nil {
		return fmt.Errorf("write parquet rows: %w", err)
	}
	p.buf, p.vals = p.buf[:0], p.vals[:0]
	return nil
}

// Write adds rows to the file. Rows go to the Parquet writer in batches
// of parquetBatch, whatever the calls, so the file's bytes do not depend
// on how the rows were split between calls.
func (p *ParquetWriter) Write(rows []Row) error {
	for i := range rows {
		start := len(p.vals)
		for j, c := range p.cols {
			p.vals = append(p.vals, parquetValue(c, c.get(&rows[i]), p.idx[j]))
		}
		// A row is its columns' values in leaf order.
		row := parquet.Row(p.vals[start:len(p.vals):len(p.vals)])
		if !p.inOrder {
			slices.SortStableFunc(row, func(a, b parquet.Value) int { return a.Column() - b.Column() })
		}
		p.buf = append(p.buf, row)
		p.n++
		if len(p.buf) == parquetBatch {
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
	if len(p.buf) > 0 {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if err := p.pw.Close(); err != nil {
		return fmt.Errorf("close parquet writer: %w", err)
	}
	return nil
}

// parquetValue is x, column c's value of a row, as the parquet value of
// leaf column j: a timestamp as its milliseconds, null (definition level
// 0) for a nullable column's nil, definition level 1 for its values.
func parquetValue(c Column, x any, j int) parquet.Value {
	def := 0
	if c.Nullable {
		def = 1
	}
	var v parquet.Value
	switch x := x.(type) {
	case nil:
		return parquet.NullValue().Level(0, 0, j)
	case time.Time:
		v = parquet.Int64Value(x.UnixMilli())
	case string:
		v = parquet.ByteArrayValue([]byte(x))
	case int64:
		v = parquet.Int64Value(x)
	case float64:
		v = parquet.DoubleValue(x)
	default:
		panic(fmt.Sprintf("parquet column %s: value of type %T", c.Name, x))
	}
	return v.Level(0, def, j)
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
			if line, err = appendCSVValue(line, col.get(&rows[i])); err != nil {
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

// appendCSVValue appends one field: v is what a [Column] returns.
func appendCSVValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return b, nil
	case time.Time:
		if x.Nanosecond() != 0 {
			return b, fmt.Errorf("timestamp %s is not a whole second", x.UTC().Format(time.RFC3339Nano))
		}
		return x.UTC().AppendFormat(b, time.RFC3339), nil
	case string:
		return appendCSVString(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		return appendCSVFloat(b, x)
	}
	return b, fmt.Errorf("no csv spelling for %T", v)
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
