package features

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Review of issue 22: with json-stream, one value cut short inside a
// string (a record truncated by its producer) swallows every value after
// it in the object into one not_json record: 1 bad line is counted for
// the 1000 events lost, far below --max-bad-ratio, so the run exits 0. A
// JSON string cannot hold a raw newline, so the framer has what it needs
// to end the broken value there and read the records that follow.
func TestReviewValueReaderCutStringSwallowsRest(t *testing.T) {
	var in strings.Builder
	in.WriteString(`{"timestamp":"2025-11-08T10:00:00Z","msg":"truncated by the produc` + "\n")
	const n = 1000
	for i := range n {
		fmt.Fprintf(&in, `{"timestamp":"2025-11-08T10:00:00Z","i":%d}`+"\n", i)
	}
	p, err := ParsePipeline("json-stream", "")
	if err != nil {
		t.Fatal(err)
	}
	spec := DefaultSpec()
	spec.Pipeline = p
	part := NewPartial(5*60e9, 0)
	if err := Ingest(context.Background(), strings.NewReader(in.String()), NewDecoder(spec), part, IngestOptions{MaxLine: testMaxLine}); err != nil {
		t.Fatal(err)
	}
	if part.Counts.Events != n || part.Counts.BadTotal() != 1 {
		t.Errorf("events %d, bad lines %d (%v); want %d events and 1 bad line", part.Counts.Events, part.Counts.BadTotal(), part.Counts.BadByReason(), n)
	}
}
