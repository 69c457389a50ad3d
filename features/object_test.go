package features

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Every outcome of reading one object has its typed error: a failing
// source is a *SourceError, damage in the bytes a *DamageError saying
// where, and the lines before the damage stay counted.
func TestObjectReaderOutcomes(t *testing.T) {
	line := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":12}` + "\n"
	plain := strings.Repeat(line, 100)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain))
	zw.Close()
	broken := errors.New("connection reset")
	for _, tc := range []struct {
		name      string
		r         io.Reader
		max       int64
		lines     int64
		damage    string // substring of DamageError.Reason; "" for none
		rejected  bool
		head      bool
		sourceErr bool
	}{
		{name: "plain", r: strings.NewReader(plain), lines: 100},
		{name: "gzip", r: bytes.NewReader(gz.Bytes()), lines: 100},
		{name: "truncated gzip", r: bytes.NewReader(gz.Bytes()[:gz.Len()-8]), damage: "gzip stream damaged after"},
		{name: "not text", r: bytes.NewReader([]byte("PK\x03\x04\x00\x00\x00")), damage: "", head: true},
		{name: "over the size limit", r: strings.NewReader(plain), max: int64(len(plain)) - 1, damage: "over", rejected: true},
		{name: "exactly the size limit", r: strings.NewReader(plain), max: int64(len(plain)), lines: 100},
		{name: "source fails", r: io.MultiReader(strings.NewReader(line), iotest.ErrReader(broken)), sourceErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := Spec{Fields: Fields{Timestamp: "timestamp", Level: "level", Latency: "latency_ms"}, LatencyUnit: "ms"}
			or := NewObjectReader(spec, ObjectOptions{MaxObjectBytes: cmp.Or(tc.max, 1<<30), Samples: 5, MaxLine: testMaxLine})
			p := NewPartial(PaneFor([]Window{{Size: 5 * time.Minute, Slide: 5 * time.Minute}}), 10)
			st, err := or.Read(context.Background(), "s3://b/k1.jsonl", tc.r, p, false)
			var de *DamageError
			var se *SourceError
			switch {
			case tc.sourceErr:
				if !errors.As(err, &se) || !errors.Is(err, broken) || se.Object != "s3://b/k1.jsonl" {
					t.Fatalf("Read = %v, want a *SourceError wrapping the stream's", err)
				}
			case tc.damage != "" || tc.head:
				if !errors.As(err, &de) || de.Object != "s3://b/k1.jsonl" || !strings.Contains(de.Reason(), tc.damage) ||
					de.Rejected != tc.rejected || de.Head != tc.head {
					t.Fatalf("Read = %#v, want a *DamageError saying %q (rejected %v, head %v)", err, tc.damage, tc.rejected, tc.head)
				}
				if strings.Contains(de.Reason(), "s3://b/k1.jsonl") || !strings.Contains(de.Error(), "s3://b/k1.jsonl") {
					t.Errorf("Reason %q names the object or Error %q does not", de.Reason(), de.Error())
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if p.Counts.Lines != tc.lines || st.BytesDecoded != int64(len(plain)) {
					t.Errorf("lines %d decoded %d; want %d, %d", p.Counts.Lines, st.BytesDecoded, tc.lines, len(plain))
				}
			}
		})
	}
}
