package iceberg

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/logsmith/logsmith/features"
)

// ErrIncompatible means a table's schema contract differs from the run's in
// a way that would change the meaning of rows already committed: a
// column's type or nullability, the window, the group-by dimensions or the
// schema's major version. Such a run must write to another table or
// namespace.
var ErrIncompatible = errors.New("the rows already committed would change meaning")

// Table properties that record the schema contract.
const (
	propSchemaVersion = "logsmith.schema-version"
	propWindow        = "logsmith.window"
	propDimensions    = "logsmith.dimensions"
	propHeadPrefix    = "logsmith.head."
)

// PartitionField is the name of the day(window_start) partition field;
// no column may be named like it.
const PartitionField = "window_start_day"

// tablePrefix starts the name of every feature table.
const tablePrefix = "features_"

// TableName names the table of window w: features_5m, features_15m_5m (a
// 15-minute window every 5 minutes): the window's name (features.Window's
// String) with its "-every-" written "_", a character a window's name
// does not hold.
func TableName(w features.Window) string {
	return tablePrefix + strings.Replace(w.String(), "-every-", "_", 1)
}

// ParseTableName reads the window of a table TableName names; it refuses
// any other name.
func ParseTableName(name string) (features.Window, error) {
	rest, ok := strings.CutPrefix(name, tablePrefix)
	if !ok || strings.Contains(rest, "-every-") {
		return features.Window{}, fmt.Errorf("%q: not a feature table name such as features_5m or features_15m_5m", name)
	}
	w, err := features.ParseWindowName(strings.Replace(rest, "_", "-every-", 1))
	if err != nil || TableName(w) != name {
		return features.Window{}, fmt.Errorf("%q: not a feature table name such as features_5m or features_15m_5m", name)
	}
	return w, nil
}

// isTableName reports whether name is the name of a feature table.
func isTableName(name string) bool {
	_, err := ParseTableName(name)
	return err == nil
}

// windowName is the window as features.Window.String spells it ("5m",
// "15m-every-5m", "1m30s").
func windowName(w features.Window) string { return w.String() }

// icebergType maps a features column type.
func icebergType(c features.Column) (iceberg.Type, error) {
	switch c.Type {
	case "timestamp_ms_utc":
		return iceberg.PrimitiveTypes.TimestampTz, nil
	case "string":
		return iceberg.PrimitiveTypes.String, nil
	case "int64":
		return iceberg.PrimitiveTypes.Int64, nil
	case "float64":
		return iceberg.PrimitiveTypes.Float64, nil
	}
	return nil, fmt.Errorf("column %s: no iceberg type for %q", c.Name, c.Type)
}

// newSchema is the Iceberg schema of a new table with cols.
func newSchema(cols features.Columns) (*iceberg.Schema, error) {
	var fields []iceberg.NestedField
	for i, c := range cols.Schema() {
		t, err := icebergType(c)
		if err != nil {
			return nil, err
		}
		fields = append(fields, iceberg.NestedField{ID: i + 1, Name: c.Name, Type: t, Required: !c.Nullable, Doc: c.Meaning})
	}
	return iceberg.NewSchema(0, fields...), nil
}

// contract is what a run expects of its table's properties.
func contractProps(w features.Window, cols features.Columns) iceberg.Properties {
	return iceberg.Properties{
		propSchemaVersion: features.SchemaVersion,
		propWindow:        windowName(w),
		propDimensions:    strings.Join(cols.Dims, ","),
	}
}

// evolution says what a run must add to a table's schema, or why it cannot
// write to it at all.
func evolution(sc *iceberg.Schema, specs []iceberg.PartitionSpec, props iceberg.Properties, w features.Window, cols features.Columns) (add []features.Column, err error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrIncompatible)
	}
	if got := props[propWindow]; got != windowName(w) {
		return nil, bad("table holds window %q, this run writes window %q", got, windowName(w))
	}
	if got, want := props[propDimensions], strings.Join(cols.Dims, ","); got != want {
		return nil, bad("table is grouped by %q, this run groups by %q", got, want)
	}
	if got := props[propSchemaVersion]; major(got) != major(features.SchemaVersion) {
		return nil, bad("table has schema version %s, this run writes %s (columns renamed or removed)", got, features.SchemaVersion)
	}
	ours := map[string]bool{}
	for _, c := range cols.Schema() {
		ours[c.Name] = true
		t, err := icebergType(c)
		if err != nil {
			return nil, err
		}
		f, ok := sc.FindFieldByName(c.Name)
		if !ok {
			add = append(add, c)
			continue
		}
		if !f.Type.Equals(t) {
			return nil, bad("column %s is %s in the table, this run writes %s", c.Name, f.Type, t)
		}
		if c.Nullable && f.Required {
			return nil, bad("column %s is required in the table, this run may write nulls", c.Name)
		}
	}
	for _, f := range sc.Fields() {
		if !ours[f.Name] && f.Required {
			return nil, bad("table has required column %s that this run does not write", f.Name)
		}
	}
	// A date is replaced by replacing its data files: every file, of every
	// spec the table ever had, must hold exactly one day of rows.
	ws, _ := sc.FindFieldByName("window_start")
	for _, spec := range specs {
		if spec.NumFields() != 1 {
			return nil, bad("table is partitioned by %s, not day(window_start)", spec)
		}
		if f := spec.Field(0); len(f.SourceIDs) != 1 || f.SourceIDs[0] != ws.ID || f.Transform != (iceberg.DayTransform{}) {
			return nil, bad("table is partitioned by %s, not day(window_start)", spec)
		}
	}
	return add, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// record builds one Arrow record of rows in the table schema sc, restricted
// to the run's columns (a column the table has and the run does not write
// is left out: null, since such columns are optional). Its fields carry the
// table's field ids.
func record(sc *iceberg.Schema, cols features.Columns, rows []features.Row) (arrow.RecordBatch, error) {
	var names []string
	byName := map[string]features.Column{}
	for _, c := range cols.Schema() {
		names = append(names, c.Name)
		byName[c.Name] = c
	}
	sel, err := sc.Select(true, names...)
	if err != nil {
		return nil, fmt.Errorf("select run columns: %w", err)
	}
	as, err := icetable.SchemaToArrowSchema(sel, nil, true, false)
	if err != nil {
		return nil, fmt.Errorf("arrow schema: %w", err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, as)
	defer b.Release()
	for i, f := range as.Fields() {
		c, ok := byName[f.Name]
		if !ok {
			return nil, fmt.Errorf("column %s: not a column of the run", f.Name)
		}
		fb := b.Field(i)
		for j := range rows {
			v := c.Value(&rows[j])
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			default:
				return nil, fmt.Errorf("column %s: no arrow builder for %s", f.Name, f.Type)
			}
		}
	}
	return b.NewRecordBatch(), nil
}
