package features

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 5000)
	in := "a\r\n\nb\n" + long + "\nc\n" + long + long + "\nd" // last line has no newline
	lr := NewLineReader(iotest.OneByteReader(strings.NewReader(in)), 4096)
	var got []string
	for {
		l, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err == ErrLineTooLong {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(l))
	}
	want := []string{"a", "", "b", "c", "d"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if lr.TooLong() != 2 {
		t.Errorf("too long = %d, want 2", lr.TooLong())
	}
	if lr.LineNumber() != 7 {
		t.Errorf("line number = %d, want 7", lr.LineNumber())
	}
}

// A line far longer than the buffer is skipped without being held whole,
// and the lines after it are still read.
func TestIngestHugeLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"timestamp":"2025-11-08T10:00:00Z","latency_ms":1}` + "\n")
	b.WriteString(`{"timestamp":"2025-11-08T10:00:00Z","pad":"` + strings.Repeat("y", 3<<20) + `"}` + "\n")
	b.WriteString("   \n")
	b.WriteString(`{"timestamp":"2025-11-08T10:01:00Z","latency_ms":3}`)
	p := NewPartial(defaultWindow, 0)
	var bad []string
	onBad := func(n int64, r Reason, raw []byte) { bad = append(bad, fmt.Sprintf("%d:%v:%d", n, r, len(raw))) }
	if err := Ingest(context.Background(), &b, NewDecoder(DefaultSpec()), p, IngestOptions{MaxLine: 64 << 10, OnBad: onBad}); err != nil {
		t.Fatal(err)
	}
	c := p.Counts
	if c.Lines != 3 || c.Events != 2 || c.Bad[ReasonLineTooLong] != 1 || c.Blank != 1 {
		t.Errorf("counts = %+v", c)
	}
	if strings.Join(bad, " ") != "2:line_too_long:0" {
		t.Errorf("bad lines reported = %v", bad)
	}
}

// Issue 23, item 9: --max-line-bytes bounds a line's content, whatever
// ends it or starts it: a line of exactly the limit is read with LF, CRLF,
// no ending at all (the last line), and after a byte-order mark; one byte
// more is too long in every case. The limits straddle the reader's 64 KiB
// buffer floor, where CRLF and the mark used to tip a line over.
func TestLineLimitCountsContent(t *testing.T) {
	for _, max := range []int{1, 10, 100, 64<<10 - 3, 64<<10 - 2, 64<<10 - 1, 64 << 10, 100_000} {
		for _, bom := range []string{"", "\ufeff"} {
			for _, end := range []string{"\n", "\r\n", ""} {
				for _, n := range []int{max, max + 1} {
					content := strings.Repeat("x", n)
					in := "a" + end + bom + content + end + "b"
					if end == "" {
						in = bom + content
					}
					lr := NewLineReader(strings.NewReader(in), max)
					var got []string
					tooLong := 0
					for {
						l, err := lr.Next()
						if err == io.EOF {
							break
						}
						if err == ErrLineTooLong {
							tooLong++
							continue
						}
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, string(l))
					}
					want, wantLong := []string{"a", content, "b"}, 0
					if n > max {
						want, wantLong = []string{"a", "b"}, 1
					}
					if end == "" {
						want = want[1:2]
						if n > max {
							want = nil
						}
					}
					if tooLong != wantLong || strings.Join(got, "|") != strings.Join(want, "|") {
						t.Errorf("limit %d, mark %q, ending %q, content %d bytes: %d lines read (%d too long), want %d (%d)",
							max, bom, end, n, len(got), tooLong, len(want), wantLong)
					}
				}
			}
		}
	}
}
