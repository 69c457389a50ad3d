package features

import (
	"context"
	"strings"
	"testing"
)

// Review of issue 22: moby's json-file driver rotates between any two
// entries, partial ones included (and kubelet's CRI rotation likewise
// between a P and its F), so one long line can start at the end of
// x-json.log.1 and end at the head of x-json.log. Each object is read on
// its own: the first's open join is passed on at its end (not_json: a
// JSON document cut short) and the second's head, a whole entry with no
// join open, becomes an event of its own. One application line is
// counted twice: a bad line plus an event with no level.
func TestReviewJoinAcrossRotationCountsOnce(t *testing.T) {
	for _, c := range []struct{ pl, older, newer string }{
		{"docker-join | unwrap:log",
			`{"log":"{\"level\":\"error\",\"msg\":\"aaaa","stream":"stdout","time":"2025-11-08T10:00:00Z"}` + "\n",
			`{"log":"bbbb\"}\n","stream":"stdout","time":"2025-11-08T10:00:00Z"}` + "\n"},
		{"cri | unwrap:message",
			"2025-11-08T10:00:00Z stdout P {\"level\":\"error\",\"msg\":\"aaaa\n",
			"2025-11-08T10:00:00Z stdout F bbbb\"}\n"},
	} {
		p, _ := ParsePipeline(c.pl, "")
		spec := Spec{Fields: Fields{Timestamp: "@parent.time", Level: "level"}, Pipeline: p}
		d := NewDecoder(spec)
		part := NewPartial(5*60e9, 0)
		for _, obj := range []string{c.older, c.newer} {
			if err := Ingest(context.Background(), strings.NewReader(obj), d, part, IngestOptions{MaxLine: testMaxLine}); err != nil {
				t.Fatal(err)
			}
		}
		if part.Counts.Lines != 1 {
			t.Errorf("%s: one line split by rotation counted as %d lines: %d events, bad %v", c.pl,
				part.Counts.Lines, part.Counts.Events, part.Counts.BadByReason())
		}
	}
}
