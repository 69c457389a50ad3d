package features

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Review of issue 22: docs/input.md promises that after unwrap the
// immediate parent's members are "always under @parent", which is why the
// container presets read @parent.time. An application document that has
// its own "@parent" member is written first, so the event holds two
// "@parent" members and both the scanner and the parser take the first:
// the event is given the application's time instead of Docker's (or is
// missing_timestamp when the application's @parent is not an object).
func TestReviewParentKeyCollision(t *testing.T) {
	p, err := ParsePipeline("docker-join | unwrap:log", "")
	if err != nil {
		t.Fatal(err)
	}
	spec := Spec{Fields: Fields{Timestamp: "@parent.time", Level: "level"}, Pipeline: p}
	for _, inner := range []string{
		`{\"level\":\"error\",\"@parent\":{\"time\":\"1999-01-01T00:00:00Z\"}}`,
		`{\"level\":\"error\",\"@parent\":\"app\"}`,
	} {
		line := `{"log":"` + inner + `\n","stream":"stdout","time":"2025-11-08T10:00:00Z"}` + "\n"
		var times []int64
		d := NewDecoder(spec)
		var number func() int64
		err := d.pipelineEvents(context.Background(), strings.NewReader(line), testMaxLine, &number,
			func(b []byte) {
				e, r := d.Decode(b)
				if r != ReasonNone {
					t.Errorf("%s: event %s is %v", inner, b, r)
					return
				}
				times = append(times, e.Time)
			}, func(r Reason, b []byte) { t.Errorf("%s refused: %v", inner, r) }, func() {})
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2025, 11, 8, 10, 0, 0, 0, time.UTC).UnixNano()
		if len(times) != 1 || times[0] != want {
			t.Errorf("%s: times %v, want Docker's %d", inner, times, want)
		}
	}
}
