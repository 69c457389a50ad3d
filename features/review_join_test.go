package features

import (
	"strings"
	"testing"
)

// Review of issue 22: a joined line (CRI P…F) over --max-line-bytes must
// count as one line_too_long and nothing else. Today the parts after the
// point where the limit was crossed start a new join, and the F line
// completes it: the tail of the dropped line becomes an event (counted
// twice: one bad line plus one event). A single P line over the limit is
// cut out of the middle of the join, and the parts around it are spliced
// into an event with values the application never wrote.
func TestReviewCRIJoinOverLimitLeavesNoFragment(t *testing.T) {
	p := func(s string) string { return "2025-11-08T10:00:00Z stdout P " + s + "\n" }
	f := func(s string) string { return "2025-11-08T10:00:00Z stdout F " + s + "\n" }
	x30 := strings.Repeat("x", 30)
	for _, c := range []struct{ name, in string }{
		{"joined parts cross the limit", p(x30) + p(x30) + p(x30) + p(x30) + f("end")},
		{"one P line over the limit, in the middle", p(`{"a":`) + p(strings.Repeat("y", 100)) + f(`1}`)},
		{"one P line over the limit, first", p(strings.Repeat("y", 100)) + f(`{"level":"error"}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, bad := events(t, "cri | unwrap:message", "", c.in, 64)
			if len(got) != 0 || bad["line_too_long"] != 1 || len(bad) != 1 {
				t.Errorf("one logical line over the limit gave events %v and refused %v; want no event and line_too_long 1", got, bad)
			}
		})
	}
}

// Review of issue 22: the same for Docker's json-file partial entries: a
// line over the limit is line_too_long, and its remaining parts must not
// become an event of their own. Today the last parts are joined anew and
// the final one (with the newline) ends that join: one line, counted as a
// bad line and as an event.
func TestReviewDockerJoinOverLimitLeavesNoFragment(t *testing.T) {
	part := func(s string) string {
		return `{"log":"` + s + `","stream":"stdout","time":"2025-11-08T10:00:00Z"}` + "\n"
	}
	x30 := strings.Repeat("x", 30)
	in := part(`{\"level\":\"info\",\"pad\":\"`+x30) + part(x30) + part(x30) + part(x30) + part(`\"}\n`)
	got, bad := events(t, "docker-join | unwrap:log", "", in, 100)
	if len(got) != 0 || bad["line_too_long"] != 1 || len(bad) != 1 {
		t.Errorf("one logical line over the limit gave events %v and refused %v; want no event and line_too_long 1", got, bad)
	}
}
