package main

import (
	"strings"
	"testing"
)

// A duration setting that does not parse, by flag or environment, in a
// window's length or slide, exits 2 with one line naming the setting and
// listing the accepted spellings; it used to print Go's parser's words
// (`time: unknown unit "min" in duration "5min"`).
func TestBadDurationsListSpellings(t *testing.T) {
	for _, c := range []struct {
		env  []string
		args []string
		name string
	}{
		{nil, []string{"--window", "5min"}, "LOGSMITH_WINDOW"},
		{nil, []string{"--window", "1h/5min"}, "LOGSMITH_WINDOW"},
		{[]string{"LOGSMITH_WINDOW=1d"}, nil, "LOGSMITH_WINDOW"},
		{nil, []string{"--retry-deadline", "2min"}, "LOGSMITH_RETRY_DEADLINE"},
		{[]string{"LOGSMITH_RETRY_DEADLINE=2 m"}, nil, "LOGSMITH_RETRY_DEADLINE"},
		{[]string{"LOGSMITH_IDLE_TIMEOUT=1w"}, nil, "LOGSMITH_IDLE_TIMEOUT"},
	} {
		args := append([]string{"run", "--input", t.TempDir(), "--output", t.TempDir()}, c.args...)
		_, stderr, code := exe(t, c.env, args...)
		line := lastLine(stderr)
		if code != 2 || !strings.Contains(line, c.name) || !strings.Contains(line, "90s, 5m, 1h or 1h30m") || strings.Contains(line, "time: ") {
			t.Errorf("%v %v: exit %d: %s", c.env, c.args, code, line)
		}
	}
}
