package job_test

import (
	"context"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
)

// Issue 23, item 9: an input URL follows one rule on both backends. With a
// trailing slash it is a folder. Without one it names the folder of that
// name when there is one — and the run warns, naming the folders and files
// beside it that start with the same name (app-old/, app.jsonl), which are
// not read — and is otherwise a name prefix read byte for byte. S3 read
// app-old/ with app/, silently; a local path that was no folder read
// nothing.
func TestInputPrefixRuleLocal(t *testing.T) { testInputPrefixRule(t, localLayout(t)) }

func TestInputPrefixRuleOnMinIO(t *testing.T) { testInputPrefixRule(t, minioLayout(t)) }

func testInputPrefixRule(t *testing.T, st layoutStore) {
	line := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":5}` + "\n"
	for key, n := range map[string]int{"app/a.jsonl": 1, "app/x/b.jsonl": 2, "app.jsonl": 4, "app-old/c.jsonl": 8, "apple/d/e.jsonl": 16, "other/f.jsonl": 32} {
		st.put(t, key, []byte(strings.Repeat(line, n)))
	}
	for _, c := range []struct {
		input  string
		events int64
		beside []string // what the warning names, below st.in
	}{
		{"app", 1 + 2, []string{"app-old/", "app.jsonl", "apple/"}},
		{"app/", 1 + 2, nil},
		{"app/x", 2, nil},
		{"apple/d", 16, nil},
		{"ap", 1 + 2 + 4 + 8 + 16, nil}, // no folder ap/: a name prefix
		{"oth", 32, nil},
		{"app.jsonl", 4, nil},
	} {
		cfg := runConfig(st.in+c.input, st.out(strings.NewReplacer("/", "_", ".", "_").Replace(c.input)), st.s3)
		cfg.Date = "2025-11-08"
		s, err := job.Run(context.Background(), cfg, job.Options{})
		if err != nil {
			t.Errorf("%s: %v", c.input, err)
			continue
		}
		var warned []string
		for _, w := range s.Warnings {
			if strings.Contains(w, "names the folder") {
				warned = append(warned, w)
			}
		}
		if s.Events != c.events {
			t.Errorf("%s: %d events, want %d", c.input, s.Events, c.events)
		}
		if len(c.beside) == 0 && len(warned) != 0 || len(c.beside) > 0 && len(warned) != 1 {
			t.Errorf("%s: warnings %q, want one naming %v", c.input, warned, c.beside)
			continue
		}
		for _, f := range c.beside {
			if !strings.Contains(warned[0], st.in+f) {
				t.Errorf("%s: warning %q does not name %s", c.input, warned[0], st.in+f)
			}
		}
	}
}
