package features

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// testMaxLine is the longest line the tests decode, as --max-line-bytes'
// default: features has no default of its own.
const testMaxLine = 1 << 20

// The limits are the caller's settings: a line limit below 1 is a
// mistake, refused loudly, not read as some default; a partial's group cap
// of 0 is no cap, and a table's is the partial's.
func TestLimitsHaveNoDefault(t *testing.T) {
	for name, f := range map[string]func(){
		"NewLineReader":  func() { NewLineReader(strings.NewReader("{}\n"), 0) },
		"NewValueReader": func() { NewValueReader(strings.NewReader("{}"), -1) },
		"Ingest": func() {
			_ = Ingest(t.Context(), strings.NewReader("{}\n"), NewDecoder(DefaultSpec()), NewPartial(time.Minute, 1), IngestOptions{})
		},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "longest line must be positive") {
					t.Errorf("%s with no line limit: recovered %v; want a panic naming the limit", name, r)
				}
			}()
			f()
		}()
	}

	// 10001 groups in one pane: none folds without a cap (features.
	// DefaultMaxGroups folded the 10000th), and a table with no cap of its
	// own takes the partial's.
	in := &strings.Builder{}
	for i := range 10001 {
		fmt.Fprintf(in, `{"timestamp":"2025-11-08T10:00:00Z","service":"s%d"}`+"\n", i)
	}
	spec := DefaultSpec()
	spec.GroupBy = []string{"service"}
	for _, c := range []struct{ cap, wantGroups int }{{0, 10001}, {10, 10}, {20000, 10001}} {
		p := NewPartial(5*time.Minute, c.cap)
		if err := Ingest(t.Context(), strings.NewReader(in.String()), NewDecoder(spec), p, IngestOptions{MaxLine: testMaxLine}); err != nil {
			t.Fatal(err)
		}
		rows, err := p.Table(Window{Size: 5 * time.Minute}, TableOptions{Dims: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != c.wantGroups || p.Counts.Events != 10001 {
			t.Errorf("cap %d: %d rows of %d events; want %d rows", c.cap, len(rows), p.Counts.Events, c.wantGroups)
		}
	}
}
