package peek

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
)

// The keys of a sample, nested ones dotted and a key holding a dot quoted,
// as --timestamp-field and the other field settings spell paths.
func TestAddKeys(t *testing.T) {
	keys := map[string]bool{}
	AddKeys([]byte(`{"ts":"x","http":{"status":200,"req":{"ms":3}},"a.b":1}`), keys)
	AddKeys([]byte(`not json`), keys)
	got := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	want := []string{`"a.b"`, "http", "http.req", "http.req.ms", "http.status", "ts"}
	if !slices.Equal(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
}

func TestNearestKeys(t *testing.T) {
	known := []string{"latency", "latency_ms", "level", "lvl", "timestamp", "time"}
	for _, c := range []struct {
		path string
		want []string
	}{
		{"latency_msec", []string{"latency_ms"}},
		{"Timestamp", []string{"timestamp"}},
		{"leve", []string{"level", "lvl"}}, // nearest first; two edits for a short path
		{"nothing_like_it", nil},
	} {
		if got := NearestKeys(c.path, known); !slices.Equal(got, c.want) {
			t.Errorf("NearestKeys(%q) = %q, want %q", c.path, got, c.want)
		}
	}
}

// SampleShape counts records and events, stops at the sample, and reports
// each configured field's hits; GuessShapes ranks the default settings
// first on plain JSON lines.
func TestSampleShape(t *testing.T) {
	var c settings.Config
	if err := settings.ParseEnv(&c, map[string]string{"LOGSMITH_INPUT": "s3://logs/x/", "LOGSMITH_OUTPUT": "s3://out/x/"}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Resolve(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lines := `{"timestamp":"2025-11-08T10:00:00Z","level":"error","latency_ms":5}
{"timestamp":"2025-11-08T10:00:01Z","level":"info"}
not json
{"timestamp":"2025-11-08T10:00:02Z"}
`
	objs := []Object{{URL: "s3://logs/x/a.jsonl", Data: []byte(lines)}}
	var bad []string
	g, hits, err := SampleShape(context.Background(), res.Spec, objs, 1<<20, 3, func(_ string, _ []byte, e *features.Event, reason features.Reason) {
		if e == nil {
			bad = append(bad, reason.String())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.Records != 3 || g.Events != 2 || len(bad) != 1 {
		t.Errorf("sample of 3: %d records, %d events, bad %q; want 3, 2 and one bad", g.Records, g.Events, bad)
	}
	byRole := map[string]FieldHits{}
	for _, h := range hits {
		byRole[h.Role] = h
	}
	if h := byRole["timestamp"]; h.Hits != 2 || h.Of != 3 {
		t.Errorf("timestamp hits %d of %d, want 2 of 3", h.Hits, h.Of)
	}
	if h := byRole["level"]; h.Hits != 2 || h.Of != 2 {
		t.Errorf("level hits %d of %d, want 2 of 2", h.Hits, h.Of)
	}
	if h := byRole["latency"]; h.Hits != 1 {
		t.Errorf("latency hits %d, want 1", h.Hits)
	}
	shapes, err := GuessShapes(context.Background(), settings.PeekConfig{Config: c, Sample: 10}, objs, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(shapes) != len(settings.ShapeNames())+1 || shapes[0].Shape != "default" {
		t.Errorf("shapes %+v: want every preset and the default first", shapes)
	}
}
