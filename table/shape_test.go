package table

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func ts(w string, dims []string, extra ...string) TableShape {
	cols := append([]string{"window_start", "window_end"}, dims...)
	cols = append(cols, "request_count", "error_count")
	return TableShape{Window: w, Dimensions: dims, SchemaVersion: "2.0", Columns: append(cols, extra...)}
}

// Shape.Admit takes a command's shape when it keeps every table's meaning
// and refuses, naming each difference, when it would change it.
func TestShapeAdmit(t *testing.T) {
	svc := []string{"service"}
	one := NewShape([]TableShape{ts("5m", svc)})
	two := NewShape([]TableShape{ts("5m", svc), ts("1h", svc)})
	for _, tc := range []struct {
		name      string
		head, run Shape
		want      string // "" admits
		changed   bool
	}{
		{"same", one, one, "", false},
		{"window added", one, two, "would add [1h]", false},
		{"window changed", one, NewShape([]TableShape{ts("10m", svc)}), "would add [10m]", false},
		{"slide changed", NewShape([]TableShape{ts("15m-every-5m", svc)}), NewShape([]TableShape{ts("15m-every-3m", svc)}), "would add [15m-every-3m]", false},
		{"window left out", two, one, "", false},
		{"group-by added", one, NewShape([]TableShape{ts("5m", []string{"service", "level"})}), "groups by [service level]", false},
		{"group-by removed", one, NewShape([]TableShape{ts("5m", nil)}), "grouped by [service]", false},
		{"group-by reordered", NewShape([]TableShape{ts("5m", []string{"a", "b"})}), NewShape([]TableShape{ts("5m", []string{"b", "a"})}), "groups by [b a]", false},
		{"column added", one, NewShape([]TableShape{ts("5m", svc, "bytes_sum")}), "", true},
		{"column removed", NewShape([]TableShape{ts("5m", svc, "bytes_sum")}), one, "[bytes_sum]", false},
		{"major version", one, func() Shape { s := NewShape([]TableShape{ts("5m", svc)}); s.Tables[0].SchemaVersion = "3.0"; return s }(), "schema version 2.0", false},
		{"minor version", one, func() Shape { s := NewShape([]TableShape{ts("5m", svc)}); s.Tables[0].SchemaVersion = "2.1"; return s }(), "", true},
		{"empty head", Shape{}, two, "", true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			head := tc.head
			head.ShapeVersion = ShapeVersion
			next, changed, err := head.Admit("out", tc.run)
			if tc.want != "" {
				if !errors.Is(err, ErrShapeChanged) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want a refusal naming %q", err, tc.want)
				}
				return
			}
			if err != nil || changed != tc.changed {
				t.Fatalf("err %v, changed %v; want admitted, changed %v", err, changed, tc.changed)
			}
			if want := head.Layout; want != "" && next.Layout != want {
				t.Errorf("layout %s, want the head's %s", next.Layout, want)
			}
			for _, rt := range tc.run.Tables {
				nt := next.table(rt.Window)
				if nt == nil || !slices.Equal(nt.Columns, rt.Columns) && !tc.changed {
					t.Errorf("table %s: %+v", rt.Window, nt)
				}
			}
		})
	}
	dropping := one
	dropping.Dropping = []string{"5m"}
	if _, _, err := dropping.Admit("out", one); !errors.Is(err, ErrDropping) {
		t.Errorf("during a drop: %v, want ErrDropping", err)
	}
}
