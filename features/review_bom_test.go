package features

import "testing"

// Review of issue 22: a program that writes a UTF-8 byte-order mark before
// its first line on stdout (.NET with Console.OutputEncoding = UTF8 does)
// gets its first JSON line read as text by unwrap: the event is counted
// with no level and no latency, an error silently lost. The same line in a
// file read without a pipeline is JSON (docs/input.md: a byte-order mark
// at the start of a line is dropped), so unwrap must read it as JSON too.
func TestReviewUnwrapDropsByteOrderMark(t *testing.T) {
	for _, c := range []struct{ pl, in string }{
		{"cri | unwrap:message", "2025-11-08T10:00:00Z stdout F \ufeff{\"level\":\"error\",\"latency_ms\":12}\n"},
		{"docker-join | unwrap:log", "{\"log\":\"\ufeff{\\\"level\\\":\\\"error\\\",\\\"latency_ms\\\":12}\\n\",\"stream\":\"stdout\",\"time\":\"T\"}\n"},
		{"docker-join | unwrap:log", `{"log":"\ufeff{\"level\":\"error\",\"latency_ms\":12}\n","stream":"stdout","time":"T"}` + "\n"},
	} {
		got, bad := events(t, c.pl, "", c.in, 0)
		if len(got) != 1 || got[0]["level"] != "error" || len(bad) != 0 {
			t.Errorf("%s on %q: events %v, refused %v; want one event with level error", c.pl, c.in, got, bad)
		}
	}
}
