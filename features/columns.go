package features

import (
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the feature table's schema: the minor
// part grows when a column is added, the major part when one is renamed or
// removed. 2.0 put the unit in the latency columns' names.
const SchemaVersion = "2.0"

// Row is one window of one group. Which fields are written depends on the
// table's [Columns]; each field is written by the one column of
// columnList that reads it.
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

// columnList is every column a table can have, in table order: window
// bounds, dimensions, counts, latency statistics, then the optional
// features. It is the one definition of the columns: the Parquet and CSV
// writers, the Iceberg schema and records (table/iceberg), the manifests'
// schema and docs/output.md's column table all come from it. A column's
// type and nullability follow from the Row field it reads.
var columnList = []Column{
	column("window_start", everyTable, "", "window start, inclusive", func(r *Row) any { return &r.WindowStart }),
	column("window_end", everyTable, "", "window end, exclusive", func(r *Row) any { return &r.WindowEnd }),
	{Type: "string", Meaning: "group-by dimension (empty when the field is missing; __other__ for groups beyond the cap)", tables: perDimension},
	column("request_count", everyTable, "", "events (decoded lines) in the window", func(r *Row) any { return &r.RequestCount }),
	column("error_count", everyTable, "", "events at ERROR, FATAL or CRITICAL (or with status >= the error status when the line has no level)", func(r *Row) any { return &r.ErrorCount }),
	column("warn_count", everyTable, "", "events at WARN or WARNING", func(r *Row) any { return &r.WarnCount }),
	column("error_rate", everyTable, "", "error_count / request_count; null when there are no requests", func(r *Row) any { return &r.ErrorRate }),
	column("latency_avg_ms", everyTable, "ms", "mean latency", func(r *Row) any { return &r.LatencyAvg }),
	column("latency_min_ms", everyTable, "ms", "minimum latency", func(r *Row) any { return &r.LatencyMin }),
	column("latency_max_ms", everyTable, "ms", "maximum latency", func(r *Row) any { return &r.LatencyMax }),
	column("latency_stddev_ms", everyTable, "ms", "population standard deviation of latency", func(r *Row) any { return &r.LatencyStddev }),
	column("latency_p50_ms", everyTable, "ms", "median latency (DDSketch, 1% relative error)", func(r *Row) any { return &r.LatencyP50 }),
	column("latency_p90_ms", everyTable, "ms", "90th percentile latency (DDSketch, 1%)", func(r *Row) any { return &r.LatencyP90 }),
	column("latency_p95_ms", everyTable, "ms", "95th percentile latency (DDSketch, 1%)", func(r *Row) any { return &r.LatencyP95 }),
	column("latency_p99_ms", everyTable, "ms", "99th percentile latency (DDSketch, 1%)", func(r *Row) any { return &r.LatencyP99 }),
	column("status_2xx", withStatus, "", "events with status 200-299", func(r *Row) any { return &r.Status2xx }),
	column("status_3xx", withStatus, "", "events with status 300-399", func(r *Row) any { return &r.Status3xx }),
	column("status_4xx", withStatus, "", "events with status 400-499", func(r *Row) any { return &r.Status4xx }),
	column("status_5xx", withStatus, "", "events with status 500-599", func(r *Row) any { return &r.Status5xx }),
	column("bytes_sum", withBytes, "bytes", "sum of the bytes field", func(r *Row) any { return &r.BytesSum }),
	column("distinct_count", withDistinct, "", "approximate distinct values of the distinct field (HyperLogLog, ~0.81% standard error)", func(r *Row) any { return &r.DistinctCount }),
}

// Columns says which optional columns a table has.
type Columns struct {
	Dims     []string // dimension column names, from the group-by fields
	Status   bool
	Bytes    bool
	Distinct bool
}

// columnSet says which tables have a column.
type columnSet uint8

const (
	everyTable   columnSet = iota // every table
	perDimension                  // one column per Columns.Dims, named by it
	withStatus                    // tables with Columns.Status
	withBytes                     // tables with Columns.Bytes
	withDistinct                  // tables with Columns.Distinct
)

// in reports whether table c has the columns of s (for perDimension: one
// per dimension).
func (s columnSet) in(c Columns) bool {
	switch s {
	case everyTable:
		return true
	case perDimension:
		return len(c.Dims) > 0
	case withStatus:
		return c.Status
	case withBytes:
		return c.Bytes
	case withDistinct:
		return c.Distinct
	}
	return false
}

// Column describes one output column.
type Column struct {
	Name     string         `json:"name"`
	Type     string         `json:"type"` // timestamp_ms_utc, string, int64 or float64
	Nullable bool           `json:"nullable"`
	Unit     string         `json:"unit,omitempty"`
	Meaning  string         `json:"meaning"`
	tables   columnSet      // which tables have the column
	ref      func(*Row) any // the Row field the column reads, as a pointer; nil for a dimension
	dim      int            // a dimension column's index in Row.Group
}

// column defines a column of columnList: its type and nullability follow
// from ref, a pointer to the Row field it reads (*time.Time, *int64,
// *float64, or **float64 for a nullable float).
func column(name string, tables columnSet, unit, meaning string, ref func(*Row) any) Column {
	c := Column{Name: name, Unit: unit, Meaning: meaning, tables: tables, ref: ref}
	switch ref(&Row{}).(type) {
	case *time.Time:
		c.Type = "timestamp_ms_utc"
	case *int64:
		c.Type = "int64"
	case *float64:
		c.Type = "float64"
	case **float64:
		c.Type, c.Nullable = "float64", true
	case *string:
		c.Type = "string"
	default:
		panic(fmt.Sprintf("column %s reads a Row field of type %T, which no writer has a type for", name, ref(&Row{})))
	}
	return c
}

// Value returns column c's value in row r: a time.Time, string, int64 or
// float64, or nil for a null.
func (c Column) Value(r *Row) any {
	if c.ref == nil {
		if c.dim < len(r.Group) {
			return r.Group[c.dim]
		}
		return ""
	}
	switch p := c.ref(r).(type) {
	case *time.Time:
		return *p
	case *int64:
		return *p
	case *float64:
		return *p
	case **float64:
		if *p == nil {
			return nil
		}
		return **p
	case *string:
		return *p
	}
	panic("unreachable: column checks its field's type")
}

// Set stores v, a value of the kind Value returns (nil for a null), as
// column c of r: the inverse of Value, for readers of written tables. A
// dimension grows r.Group as needed.
func (c Column) Set(r *Row, v any) error {
	if c.ref == nil {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("set column %s: a %T, want a string", c.Name, v)
		}
		if c.dim >= len(r.Group) {
			r.Group = append(r.Group, make([]string, c.dim+1-len(r.Group))...)
		}
		r.Group[c.dim] = s
		return nil
	}
	ok := false
	switch p := c.ref(r).(type) {
	case *time.Time:
		var x time.Time
		x, ok = v.(time.Time)
		*p = x
	case *int64:
		*p, ok = v.(int64)
	case *float64:
		*p, ok = v.(float64)
	case **float64:
		if v == nil {
			*p, ok = nil, true
			break
		}
		var x float64
		if x, ok = v.(float64); ok {
			*p = &x
		}
	case *string:
		*p, ok = v.(string)
	}
	if !ok {
		return fmt.Errorf("set column %s: a %T, want a %s", c.Name, v, c.Type)
	}
	return nil
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

// Schema lists the table's columns in their fixed order: columnList's,
// restricted to the table's optional columns, with one column per
// dimension.
func (c Columns) Schema() []Column {
	var cols []Column
	for _, col := range columnList {
		switch {
		case col.tables == perDimension:
			for i, d := range c.Dims {
				col.Name, col.dim = d, i
				cols = append(cols, col)
			}
		case col.tables.in(c):
			cols = append(cols, col)
		}
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
