package features

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// everyColumn is a table with every column: two dimensions and each
// optional column.
var everyColumn = Columns{Dims: []string{"service", "method"}, Status: true, Bytes: true, Distinct: true}

// distinctRow is a row, built from Row's fields and not from the column
// list, in which every field holds a value no other field holds: the i-th
// field is window i's start, 1000+i, i+0.25 or a dimension value "d<i>".
// seed shifts every value, so that two rows differ in every field.
func distinctRow(t testing.TB, dims int, seed int) Row {
	t.Helper()
	var r Row
	v := reflect.ValueOf(&r).Elem()
	base := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for i := range v.NumField() {
		f, n := v.Field(i), seed*100+i
		switch f.Interface().(type) {
		case time.Time:
			f.Set(reflect.ValueOf(base.Add(time.Duration(n) * time.Hour)))
		case int64:
			f.SetInt(int64(1000 + n))
		case *float64:
			x := float64(n) + 0.25
			f.Set(reflect.ValueOf(&x))
		case []string:
			g := make([]string, dims)
			for d := range g {
				g[d] = fmt.Sprintf("d%d-%d", seed, d)
			}
			f.Set(reflect.ValueOf(g))
		default:
			t.Fatalf("Row.%s: no distinct value for type %s", v.Type().Field(i).Name, f.Type())
		}
	}
	return r
}

// nullRow is distinctRow with every *float64 field nil.
func nullRow(t testing.TB, dims int, seed int) Row {
	r := distinctRow(t, dims, seed)
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer {
			f.SetZero()
		}
	}
	return r
}

// Every field of Row is written by exactly one column of a table with
// every column, and every column reads one field: a value computed and
// never written, or written under two names, fails here. The test changes
// one field (or one dimension) at a time and counts the columns whose value
// changes.
func TestEveryRowFieldHasOneColumn(t *testing.T) {
	cols := everyColumn.Schema()
	base := distinctRow(t, len(everyColumn.Dims), 0)
	other := distinctRow(t, len(everyColumn.Dims), 1)
	changed := func(r *Row) []string {
		var names []string
		for _, c := range cols {
			if !reflect.DeepEqual(c.Value(&base), c.Value(r)) {
				names = append(names, c.Name)
			}
		}
		return names
	}
	read := map[string]string{} // column -> field
	rt := reflect.TypeFor[Row]()
	for i := range rt.NumField() {
		name := rt.Field(i).Name
		parts := 1
		if rt.Field(i).Type == reflect.TypeFor[[]string]() {
			parts = len(everyColumn.Dims)
		}
		for p := range parts {
			r := base
			r.Group = append([]string(nil), base.Group...)
			field := name
			if parts > 1 || name == "Group" {
				r.Group[p] = other.Group[p]
				field = fmt.Sprintf("%s[%d]", name, p)
			} else {
				reflect.ValueOf(&r).Elem().Field(i).Set(reflect.ValueOf(other).Field(i))
			}
			got := changed(&r)
			if len(got) != 1 {
				t.Errorf("Row.%s is written by columns %q, want exactly one", field, got)
				continue
			}
			if f, ok := read[got[0]]; ok {
				t.Errorf("column %s reads both Row.%s and Row.%s", got[0], f, field)
			}
			read[got[0]] = field
		}
	}
	for _, c := range cols {
		if _, ok := read[c.Name]; !ok {
			t.Errorf("column %s reads no field of Row", c.Name)
		}
	}
}

// parquetLeaf says how a Parquet file must hold a column of each type.
// (doc: as docs/output.md's column table names it).
var parquetLeaf = map[string]struct {
	kind         parquet.Kind
	logical, doc string
}{
	"timestamp_ms_utc": {parquet.Int64, "TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS)", "INT64 TIMESTAMP(MILLIS, UTC)"},
	"string":           {parquet.ByteArray, "STRING", "BYTE_ARRAY STRING"},
	"int64":            {parquet.Int64, "INT(64,true)", "INT64"},
	"float64":          {parquet.Double, "", "DOUBLE"},
}

// columnTables are tables of every kind of column set.
var columnTables = []Columns{{}, {Dims: []string{"service"}}, {Status: true}, {Bytes: true, Distinct: true}, everyColumn}

// The Parquet and CSV writers write the table's columns, each at its place
// in Columns.Schema, with its type and nullability, holding its Value: a
// writer that lacks a column, misorders one or fills it from another field
// fails here.
func TestWritersFollowColumnList(t *testing.T) {
	for _, c := range columnTables {
		cols := c.Schema()
		rows := []Row{distinctRow(t, len(c.Dims), 0), nullRow(t, len(c.Dims), 1), distinctRow(t, len(c.Dims), 2)}
		t.Run(fmt.Sprintf("parquet %+v", c), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteParquet(&b, c, rows, nil); err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			fields := f.Schema().Fields()
			if len(fields) != len(cols) {
				t.Fatalf("file has %d columns, the list %d", len(fields), len(cols))
			}
			for j, col := range cols {
				fd := fields[j]
				want := parquetLeaf[col.Type]
				logical := ""
				if lt := fd.Type().LogicalType(); lt != nil {
					logical = lt.String()
				}
				if fd.Name() != col.Name || fd.Type().Kind() != want.kind || logical != want.logical || fd.Optional() != col.Nullable {
					t.Errorf("column %d is %s %s %q optional=%v, want %s %s %q optional=%v", j,
						fd.Name(), fd.Type().Kind(), logical, fd.Optional(), col.Name, want.kind, want.logical, col.Nullable)
				}
			}
			// Leaf columns are the fields in order (no nesting), so a row's
			// j-th value is column j's.
			pr := parquet.NewReader(bytes.NewReader(b.Bytes()))
			defer pr.Close()
			for i := range rows {
				got := make([]parquet.Row, 1)
				if n, err := pr.ReadRows(got); n != 1 {
					t.Fatalf("row %d: %v", i, err)
				}
				for j, col := range cols {
					if g, w := parquetAny(col, got[0][j]), col.Value(&rows[i]); !reflect.DeepEqual(g, w) {
						t.Errorf("row %d column %s = %#v, want %#v", i, col.Name, g, w)
					}
				}
			}
		})
		t.Run(fmt.Sprintf("csv %+v", c), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteCSV(&b, c, rows); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(rows)+1 {
				t.Fatalf("%d records, want a header and %d rows", len(recs), len(rows))
			}
			for j, col := range cols {
				if j >= len(recs[0]) || recs[0][j] != col.Name {
					t.Errorf("header %q, want %s at %d", recs[0], col.Name, j)
				}
			}
			for i := range rows {
				if len(recs[i+1]) != len(cols) {
					t.Fatalf("row %d has %d fields, want %d", i, len(recs[i+1]), len(cols))
				}
				for j, col := range cols {
					if g, w := csvAny(t, col, recs[i+1][j]), col.Value(&rows[i]); !reflect.DeepEqual(g, w) {
						t.Errorf("row %d column %s = %#v, want %#v", i, col.Name, g, w)
					}
				}
			}
		})
	}
}

// parquetAny is a Parquet value as Column.Value gives it.
func parquetAny(col Column, v parquet.Value) any {
	if v.IsNull() {
		return nil
	}
	switch col.Type {
	case "timestamp_ms_utc":
		return time.UnixMilli(v.Int64()).UTC()
	case "string":
		return string(v.ByteArray())
	case "int64":
		return v.Int64()
	case "float64":
		return v.Double()
	}
	return fmt.Sprintf("unknown type %s", col.Type)
}

// csvAny is a CSV field as Column.Value gives it.
func csvAny(t *testing.T, col Column, s string) any {
	if s == "" && col.Nullable {
		return nil
	}
	var v any
	var err error
	switch col.Type {
	case "timestamp_ms_utc":
		v, err = time.Parse(time.RFC3339, s)
	case "string":
		v = s
	case "int64":
		v, err = strconv.ParseInt(s, 10, 64)
	case "float64":
		v, err = strconv.ParseFloat(s, 64)
	default:
		t.Fatalf("column %s: unknown type %s", col.Name, col.Type)
	}
	if err != nil {
		t.Fatalf("column %s: %v", col.Name, err)
	}
	return v
}

// Column.Set is the inverse of Column.Value, for every column, null or
// not, and refuses a value of another type naming the column.
func TestColumnSetInvertsValue(t *testing.T) {
	for _, want := range []Row{distinctRow(t, 2, 0), nullRow(t, 2, 1)} {
		var got Row
		for _, c := range everyColumn.Schema() {
			if err := c.Set(&got, c.Value(&want)); err != nil {
				t.Fatal(err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("set from values: %+v, want %+v", got, want)
		}
	}
	for _, c := range everyColumn.Schema() {
		var r Row
		var wrong any = "x"
		if c.Type == "string" {
			wrong = int64(1)
		}
		if err := c.Set(&r, wrong); err == nil || !strings.Contains(err.Error(), c.Name) {
			t.Errorf("column %s set to %#v: err = %v, want one naming the column", c.Name, wrong, err)
		}
	}
}
