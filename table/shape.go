package table

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// ShapeName is the key, under the output, of the output's head: the
// tables it holds and what each one's rows mean. It starts with "_", so
// glob readers skip it.
const ShapeName = "_tables.json"

// ShapeVersion is the version of the output head's format.
const ShapeVersion = 1

// Layouts of an output's tables.
const (
	// LayoutRoot: one table, its date=D folders at the output's root.
	LayoutRoot = "root"
	// LayoutWindows: each table in its own window=W folder.
	LayoutWindows = "windows"
)

// ErrShapeChanged means a command would change what an output's tables
// mean (their set, layout, window, dimensions, schema or columns); see
// ShapeError. No retry helps: the command's settings or the output must
// change (or the table be dropped first).
var ErrShapeChanged = errors.New("the output's tables would change meaning")

// ErrDropping means a table drop is in progress on the output: a command
// that would write there must wait until it is done.
var ErrDropping = errors.New("a table drop is in progress")

// ErrNoTable means a command names a table the output does not hold.
var ErrNoTable = errors.New("no such table")

// Shape is an output's contract, recorded in its head (ShapeName): the
// layout of its tables and, for each table, its window, dimensions, schema
// version and columns. A command that would commit another shape is
// refused (Shape.Admit); only Output.Drop removes a table.
type Shape struct {
	ShapeVersion int    `json:"shape_version"`
	Layout       string `json:"layout"`
	// Tables are the output's tables, sorted by window.
	Tables []TableShape `json:"tables"`
	// Dropping are the tables a drop is removing (see Output.Drop): no
	// command writes to the output until they are gone.
	Dropping []string `json:"dropping,omitempty"`
	// UpdatedAt and UpdatedBy say which command wrote the head last, and
	// when (its run id or "drop:W").
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// TableShape is what one table's rows mean.
type TableShape struct {
	Window string `json:"window"`
	// Dimensions are the group-by columns, in order.
	Dimensions []string `json:"dimensions"`
	// SchemaVersion is the newest schema version committed; its major
	// version is fixed for the table's life.
	SchemaVersion string `json:"schema_version"`
	// Columns are the table's columns in schema order: every column any
	// commit wrote (an optional column added by a later run is a
	// compatible evolution; one dropped is not).
	Columns []string `json:"columns"`
}

// Table returns the table of the shape's window w in o, at the shape's layout.
func (s *Shape) Table(o Output, w string) Table { return o.Table(w, s.Layout == LayoutWindows) }

func (s *Shape) table(w string) *TableShape {
	for i := range s.Tables {
		if s.Tables[i].Window == w {
			return &s.Tables[i]
		}
	}
	return nil
}

func (s *Shape) windows() []string {
	var ws []string
	for _, t := range s.Tables {
		ws = append(ws, t.Window)
	}
	return ws
}

// Empty reports whether the head records no table: a command may then
// give the output any shape.
func (s *Shape) Empty() bool { return s == nil || len(s.Tables) == 0 }

// ShapeError names every difference between an output's shape and a
// command's.
type ShapeError struct {
	Output string   // names the output (its URL)
	Diffs  []string // one per difference, for people
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("output %q: %s; nothing committed (write to another output, or drop the table first: logsmith table drop --window W)",
		e.Output, strings.Join(e.Diffs, "; "))
}

// Unwrap lets errors.Is find ErrShapeChanged.
func (e *ShapeError) Unwrap() error { return ErrShapeChanged }

// Permanent tells storage/objio's retries not to retry: the output's
// shape does not change by waiting.
func (e *ShapeError) Permanent() bool { return true }

// NewShape returns the shape of a command writing tables: LayoutRoot for
// one, LayoutWindows for several.
func NewShape(tables []TableShape) Shape {
	s := Shape{ShapeVersion: ShapeVersion, Layout: LayoutRoot, Tables: slices.Clone(tables)}
	if len(tables) > 1 {
		s.Layout = LayoutWindows
	}
	slices.SortFunc(s.Tables, func(a, b TableShape) int { return strings.Compare(a.Window, b.Window) })
	return s
}

// Admit checks that a command writing run (NewShape) may commit to an
// output whose head is s, and returns the head to record and whether it
// differs from s. An empty s admits any shape. Otherwise the command must
// write tables s holds (by window: all of them or some, never another);
// for each, the same dimensions in the same order, the same major schema
// version, and every column s records; it may add columns (a later minor
// schema version, or an optional column newly configured). The layout
// stays s's, whatever the number of tables the command writes.
// A refusal is a *ShapeError naming every difference.
func (s *Shape) Admit(output string, run Shape) (Shape, bool, error) {
	if s != nil && len(s.Dropping) > 0 {
		return Shape{}, false, fmt.Errorf("output %q: table %s is being dropped (if that command died, run logsmith table drop --window %s again): %w",
			output, strings.Join(s.Dropping, ", "), s.Dropping[0], ErrDropping)
	}
	if s.Empty() {
		run.ShapeVersion = ShapeVersion
		return run, true, nil
	}
	next := *s
	next.ShapeVersion = ShapeVersion
	next.Tables = slices.Clone(s.Tables)
	next.Dropping = nil
	var diffs []string
	have, want := s.windows(), run.windows()
	var added []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			added = append(added, w)
		}
	}
	if len(added) > 0 {
		where := "in window= folders"
		if s.Layout == LayoutRoot {
			where = "at its root, with no window= level"
		}
		diffs = append(diffs, fmt.Sprintf("it holds the tables %v (%s), this run writes %v (--window): it would add %v", have, where, want, added))
	}
	changed := false
	for _, rt := range run.Tables {
		ht := next.table(rt.Window)
		if ht == nil {
			continue
		}
		if !slices.Equal(ht.Dimensions, rt.Dimensions) {
			diffs = append(diffs, fmt.Sprintf("table %s is grouped by %v, this run groups by %v (--group-by)", rt.Window, ht.Dimensions, rt.Dimensions))
		}
		if major(ht.SchemaVersion) != major(rt.SchemaVersion) {
			diffs = append(diffs, fmt.Sprintf("table %s has schema version %s, this run writes %s (columns renamed or removed)", rt.Window, ht.SchemaVersion, rt.SchemaVersion))
		}
		var dropped []string
		for _, c := range ht.Columns {
			if !slices.Contains(rt.Columns, c) && !slices.Contains(ht.Dimensions, c) {
				dropped = append(dropped, c)
			}
		}
		if len(dropped) > 0 {
			diffs = append(diffs, fmt.Sprintf("table %s has the columns %v, which this run would not write (is --status-field, --bytes-field or --distinct-field missing?)", rt.Window, dropped))
		}
		if len(diffs) == 0 && (!slices.Equal(ht.Columns, rt.Columns) || ht.SchemaVersion != rt.SchemaVersion) {
			if schemaNewer(rt.SchemaVersion, ht.SchemaVersion) {
				ht.SchemaVersion = rt.SchemaVersion
			}
			if !slices.Equal(ht.Columns, rt.Columns) {
				ht.Columns = slices.Clone(rt.Columns)
			}
			changed = true
		}
	}
	if len(diffs) > 0 {
		return Shape{}, false, &ShapeError{Output: output, Diffs: diffs}
	}
	if s.ShapeVersion != ShapeVersion {
		changed = true
	}
	return next, changed, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// schemaNewer reports whether version a is after b (both "major.minor").
func schemaNewer(a, b string) bool {
	num := func(v string) (int, int) {
		var x, y int
		_, _ = fmt.Sscanf(v, "%d.%d", &x, &y)
		return x, y
	}
	am, an := num(a)
	bm, bn := num(b)
	return am > bm || am == bm && an > bn
}

// ShapeHead is an output's head as a command read it: its shape and that
// object's ETag, or nothing (Shape nil, ETag "") when the output has none.
type ShapeHead struct {
	Shape *Shape
	ETag  string
}

// Exists reports whether the output had a head.
func (h ShapeHead) Exists() bool { return h.ETag != "" }

func (o Output) shapeKey() string { return o.Prefix + ShapeName }

// ReadShape reads the output's head. An output without one gives an empty
// ShapeHead and no error.
func (o Output) ReadShape(ctx context.Context) (ShapeHead, error) {
	key := o.shapeKey()
	var h ShapeHead
	etag, err := readSettled(ctx, o.Bucket, key, func(before storage.ObjectInfo) (err error) {
		h.Shape, err = o.decodeShape(ctx, before)
		return err
	})
	if err != nil || etag == "" {
		return ShapeHead{}, wrapIf(err, "read "+key)
	}
	h.ETag = etag
	return h, nil
}

func (o Output) decodeShape(ctx context.Context, info storage.ObjectInfo) (*Shape, error) {
	key := info.Key
	rc, err := o.Bucket.OpenListed(ctx, info, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	var s Shape
	if len(raw) > 1<<20 {
		return nil, fmt.Errorf("read %s: over 1 MiB", key)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	if s.ShapeVersion < 1 || s.ShapeVersion > ShapeVersion {
		return nil, fmt.Errorf("decode %s: shape version %d; this logsmith reads 1 to %d", key, s.ShapeVersion, ShapeVersion)
	}
	return &s, nil
}

// PutShape writes s as the output's head, conditional on the head h read:
// If-Match its ETag, or If-None-Match when there was none. When another
// command changed the head since, it fails with an error wrapping
// ErrLostRace; a PUT whose answer was lost but which landed succeeds.
// by names the command (its run id), now the time it writes.
func (o Output) PutShape(ctx context.Context, s Shape, h ShapeHead, by string, now time.Time) (ShapeHead, error) {
	s.ShapeVersion, s.UpdatedBy, s.UpdatedAt = ShapeVersion, by, now.UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s) // a Shape always encodes
	body := buf.Bytes()
	key := o.shapeKey()
	info, err := o.Bucket.Put(ctx, key, bytes.NewReader(body), int64(len(body)),
		storage.PutOptions{IfMatch: h.ETag, IfNoneMatch: h.ETag == "", ContentType: "application/json"})
	if err == nil {
		return ShapeHead{Shape: &s, ETag: info.ETag}, nil
	}
	cur, rerr := o.ReadShape(ctx)
	switch {
	case rerr == nil && cur.Shape != nil && cur.Shape.UpdatedBy == by && cur.Shape.UpdatedAt.Equal(s.UpdatedAt):
		return cur, nil // ours landed; its answer was lost
	case errors.Is(err, storage.ErrPrecondition), rerr == nil && cur.ETag != h.ETag:
		return cur, fmt.Errorf("write %s: another command changed it: %w", key, ErrLostRace)
	}
	return ShapeHead{}, fmt.Errorf("write %s: %w", key, err)
}

// inferredTable is a table found in an output without a head.
type inferredTable struct {
	t     Table
	shape TableShape
}

// inferTables finds the tables of an output (Output.Tables) and reads
// each one's shape from its latest committed manifest (window, schema
// version and columns; dimensions are the columns between window_end and
// request_count). A table with no committed manifest is left out.
func (o Output) inferTables(ctx context.Context) ([]inferredTable, error) {
	tables, err := o.Tables(ctx)
	if errors.Is(err, storage.ErrNotExist) {
		return nil, nil // no output yet (or a file where it would be: its write says so)
	}
	if err != nil {
		return nil, err
	}
	var found []inferredTable
	for _, t := range tables {
		dates, err := t.Dates(ctx)
		if err != nil {
			return nil, err
		}
		for i := len(dates) - 1; i >= 0; i-- {
			h, err := t.ReadHead(ctx, dates[i])
			if err != nil {
				return nil, err
			}
			m := h.Manifest.Committed()
			if m == nil {
				continue
			}
			ts := TableShape{Window: m.Window, SchemaVersion: m.SchemaVersion}
			if t.Dir {
				ts.Window = t.Window
			}
			dims := true
			for _, c := range m.Schema {
				ts.Columns = append(ts.Columns, c.Name)
				switch c.Name {
				case "window_start", "window_end":
				case "request_count":
					dims = false
				default:
					if dims {
						ts.Dimensions = append(ts.Dimensions, c.Name)
					}
				}
			}
			t.Window = ts.Window
			found = append(found, inferredTable{t: t, shape: ts})
			break
		}
	}
	return found, nil
}

// InferShape returns the shape of an output written before outputs had a
// head, from what it holds (see inferTables); nil when it holds no
// committed table. An output holding both a table at its root and window=
// folders (a change of the window set an older logsmith let through) has
// no shape: that is a *ShapeError.
func (o Output) InferShape(ctx context.Context) (*Shape, error) {
	found, err := o.inferTables(ctx)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	s := Shape{ShapeVersion: ShapeVersion, Layout: LayoutWindows}
	var root, dirs []string
	for _, f := range found {
		if f.t.Dir {
			dirs = append(dirs, f.shape.Window)
		} else {
			root = append(root, f.shape.Window)
			s.Layout = LayoutRoot
		}
		s.Tables = append(s.Tables, f.shape)
	}
	if len(root) > 0 && len(dirs) > 0 {
		return nil, &ShapeError{Output: o.Prefix, Diffs: []string{fmt.Sprintf(
			"it holds a table at its root (window %s) and window= folders (%v): a glob reads both", root[0], dirs)}}
	}
	slices.SortFunc(s.Tables, func(a, b TableShape) int { return strings.Compare(a.Window, b.Window) })
	return &s, nil
}

// Shape returns the output's shape as recorded in its head, or inferred
// (InferShape) when it has none, with the head read (empty when inferred).
func (o Output) Shape(ctx context.Context) (*Shape, ShapeHead, error) {
	h, err := o.ReadShape(ctx)
	if err != nil || h.Exists() {
		return h.Shape, h, err
	}
	s, err := o.InferShape(ctx)
	return s, h, err
}
