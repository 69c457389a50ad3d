package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The cases of the issue, through the binary: each exits 2 with one line
// naming the setting, and creates nothing.
func TestStrayWhitespaceThroughTheBinary(t *testing.T) {
	dir := t.TempDir()
	logs, out := dir+"/logs", dir+"/out"
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "100"); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"LOGSMITH_LATENCY_FIELD=latency_ms "}, nil, "LOGSMITH_LATENCY_FIELD (--latency-field)"},
		{[]string{"LOGSMITH_TIMESTAMP_FIELD=timestamp "}, nil, "LOGSMITH_TIMESTAMP_FIELD (--timestamp-field)"},
		{[]string{"LOGSMITH_OUTPUT=" + out + " "}, nil, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--output", out + " "}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--workers", " 2"}, "LOGSMITH_WORKERS (--workers)"},
		{nil, []string{"--idle-timeout", "5s "}, "LOGSMITH_IDLE_TIMEOUT (--idle-timeout)"},
		{nil, []string{"--quiet=true "}, "LOGSMITH_QUIET (--quiet)"},
		{[]string{"LOGSMITH_MAX_BAD_RATIO=0.1 "}, nil, "LOGSMITH_MAX_BAD_RATIO (--max-bad-ratio)"},
		// Invisible characters, and URLs that would be local relative paths.
		{[]string{"LOGSMITH_OUTPUT=\ufeffs3://hbk/feat"}, nil, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--output", "\ufeff" + out}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--latency-field", "latency_ms\u200b"}, "LOGSMITH_LATENCY_FIELD (--latency-field)"},
		{[]string{"LOGSMITH_GROUP_BY=service,\u2060level"}, nil, "LOGSMITH_GROUP_BY (--group-by)"},
		{nil, []string{"--output", "s3:/hbk/feat"}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--output", "s3:hbk/feat"}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--output", "s3//hbk/feat"}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--output", "file:" + out}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"--input", "s3:/hbk/logs"}, "LOGSMITH_INPUT (--input)"},
	} {
		env := append([]string{"LOGSMITH_INPUT=" + logs, "LOGSMITH_OUTPUT=" + out}, tc.env...)
		_, stderr, code := exe(t, env, append([]string{"run"}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want exit 2 and one line naming %s", tc.env, tc.args, code, stderr, tc.want)
		}
	}
	if entries, _ := filepath.Glob(dir + "/out*"); len(entries) != 0 {
		t.Errorf("refused runs created %v", entries)
	}
	for _, cmd := range [][]string{{"ls"}, {"gc"}, {"generate"}, {"show", "--date", "2025-11-08"}} {
		_, stderr, code := exe(t, nil, append(cmd, "--output", "s3:/hbk/feat")...)
		if code != 2 || !strings.Contains(stderr, "LOGSMITH_OUTPUT (--output)") {
			t.Errorf("%v --output s3:/hbk/feat: exit %d, stderr %q; want exit 2 naming the output", cmd, code, stderr)
		}
	}
}
