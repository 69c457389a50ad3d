package iceberg

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/iceberg-go"

	"github.com/logsmith/logsmith/features"
)

// distinctRows are rows, built from features.Row's fields and not from the
// column list, in which every field holds a value no other field holds;
// the second row's floats are null.
func distinctRows(t *testing.T, dims int) []features.Row {
	t.Helper()
	rows := make([]features.Row, 3)
	base := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for k := range rows {
		v := reflect.ValueOf(&rows[k]).Elem()
		for i := range v.NumField() {
			f, n := v.Field(i), k*100+i
			switch f.Interface().(type) {
			case time.Time:
				f.Set(reflect.ValueOf(base.Add(time.Duration(n) * time.Hour)))
			case int64:
				f.SetInt(int64(1000 + n))
			case *float64:
				if k != 1 {
					x := float64(n) + 0.25
					f.Set(reflect.ValueOf(&x))
				}
			case []string:
				g := make([]string, dims)
				for d := range g {
					g[d] = fmt.Sprintf("d%d-%d", k, d)
				}
				f.Set(reflect.ValueOf(g))
			default:
				t.Fatalf("Row.%s: no distinct value for type %s", v.Type().Field(i).Name, f.Type())
			}
		}
	}
	return rows
}

// arrowAny is value j of a as features.Column.Value gives it.
func arrowAny(a arrow.Array, j int) any {
	if a.IsNull(j) {
		return nil
	}
	switch a := a.(type) {
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(j))).UTC()
	case *array.String:
		return a.Value(j)
	case *array.Int64:
		return a.Value(j)
	case *array.Float64:
		return a.Value(j)
	}
	return fmt.Sprintf("unknown arrow type %s", a.DataType())
}

// The Iceberg schema of a new table is the column list in order, with its
// types, nullability and meanings, and the records written to a table hold
// each column's features.Column.Value — also when the table's schema has
// the columns in another order, as an evolved one does: an Iceberg writer
// that lacks, misorders or misreads a column fails here, not at run time.
func TestIcebergFollowsColumnList(t *testing.T) {
	want := map[string]iceberg.Type{
		"timestamp_ms_utc": iceberg.PrimitiveTypes.TimestampTz,
		"string":           iceberg.PrimitiveTypes.String,
		"int64":            iceberg.PrimitiveTypes.Int64,
		"float64":          iceberg.PrimitiveTypes.Float64,
	}
	all := features.Columns{Dims: []string{"service", "method"}, Status: true, Bytes: true, Distinct: true}
	for _, c := range []features.Columns{{}, {Dims: []string{"service"}}, {Status: true}, {Bytes: true, Distinct: true}, all} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			cols := c.Schema()
			sc, err := newSchema(c)
			if err != nil {
				t.Fatal(err)
			}
			fields := sc.Fields()
			if len(fields) != len(cols) {
				t.Fatalf("schema has %d fields, the list %d columns", len(fields), len(cols))
			}
			for j, col := range cols {
				f := fields[j]
				if f.Name != col.Name || !f.Type.Equals(want[col.Type]) || f.Required == col.Nullable || f.Doc != col.Meaning {
					t.Errorf("field %d is %s %s required=%v %q, want %s %s required=%v %q", j,
						f.Name, f.Type, f.Required, f.Doc, col.Name, want[col.Type], !col.Nullable, col.Meaning)
				}
			}
			// A table created without the optional columns and evolved to
			// have them holds them last, after the table's first columns.
			first, err := newSchema(features.Columns{Dims: c.Dims})
			if err != nil {
				t.Fatal(err)
			}
			evolved := first.Fields()
			add, err := evolution(first, nil, contractProps(features.Window{Size: 5 * time.Minute}, c), features.Window{Size: 5 * time.Minute}, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, col := range add {
				evolved = append(evolved, iceberg.NestedField{ID: len(evolved) + 1, Name: col.Name, Type: want[col.Type], Required: false})
			}
			rows := distinctRows(t, len(c.Dims))
			for _, sc := range []*iceberg.Schema{sc, iceberg.NewSchema(1, evolved...)} {
				rec, err := record(sc, c, rows)
				if err != nil {
					t.Fatal(err)
				}
				if int(rec.NumCols()) != len(cols) {
					t.Errorf("record has %d columns, the list %d", rec.NumCols(), len(cols))
				}
				for i, f := range rec.Schema().Fields() {
					var col *features.Column
					for k := range cols {
						if cols[k].Name == f.Name {
							col = &cols[k]
						}
					}
					if col == nil {
						t.Errorf("record column %s is not in the list", f.Name)
						continue
					}
					for j := range rows {
						if g, w := arrowAny(rec.Column(i), j), col.Value(&rows[j]); !reflect.DeepEqual(g, w) {
							t.Errorf("row %d column %s = %#v, want %#v", j, f.Name, g, w)
						}
					}
				}
				rec.Release()
			}
		})
	}
}
