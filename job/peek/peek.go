package peek

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
)

// What peek reads at most: decompressed bytes, over all objects, and
// objects.
const (
	MaxBytes   = 8 << 20 // decompressed bytes read, over all objects
	MaxObjects = 100     // objects read
)

// Event is one record as the run's decoder read it.
type Event struct {
	Object string `json:"object"`
	// Bad is the reason the record is no event, "" for an event.
	Bad       string    `json:"bad,omitempty"`
	Time      time.Time `json:"time,omitzero"`
	Error     bool      `json:"error"`
	Level     string    `json:"level,omitempty"` // error, warn, info or unknown
	LatencyMs *float64  `json:"latency_ms,omitempty"`
	Status    int32     `json:"status,omitempty"`
	// Dimensions are the group-by fields' values, as the record holds them.
	Dimensions map[string]any `json:"dimensions,omitempty"`
	Raw        string         `json:"raw"` // the record after the pipeline, up to 300 bytes
}

// FieldHits is how often a configured field had a value in the sample.
type FieldHits struct {
	Role string `json:"role"` // timestamp, level, latency, status, bytes, distinct or group_by
	Path string `json:"path"`
	// Hits counts the records in which it had a value: for the timestamp
	// the events (a record without a readable one is none), for the
	// others the events in which it was neither missing nor null.
	Hits int64 `json:"hits"`
	// Of is what Hits counts out of: records for the timestamp, events
	// for the others.
	Of int64 `json:"of"`
	// DidYouMean names the keys seen nearest a field that never had a
	// value.
	DidYouMean []string `json:"did_you_mean,omitempty"`
}

// ShapeGuess is how well one shape's settings decode the sample.
type ShapeGuess struct {
	Shape   string `json:"shape"` // a preset's name, or "default"
	Records int64  `json:"records"`
	Events  int64  `json:"events"` // records decoded, with a timestamp
	// FieldHits sums the hits of its fields other than the timestamp.
	FieldHits int64 `json:"field_hits"`
}

// Report is what peek found.
type Report struct {
	Input   string `json:"input"`
	Objects int    `json:"objects"` // objects listed, to read
	// Read are the objects the sample was taken from, in order.
	Read    []string         `json:"read"`
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// Unreadable names objects whose head is not text or is damaged.
	Unreadable []string         `json:"unreadable,omitempty"`
	Bytes      int64            `json:"sample_bytes"` // decompressed bytes of the sample
	Records    int64            `json:"sample_records"`
	Events     int64            `json:"sample_events"`
	Bad        map[string]int64 `json:"sample_bad,omitempty"`
	First      []Event          `json:"first"`
	Fields     []FieldHits      `json:"fields"`
	// Shapes are every shape tried, best first; LooksLike the best when
	// it decodes any event.
	Shapes    []ShapeGuess `json:"shapes"`
	LooksLike string       `json:"looks_like,omitempty"`
	// Shape is the shape of the settings given ("default" for none).
	Shape string `json:"shape"`
}

// Object is the head of one object, decompressed.
type Object struct {
	URL  string // the object's URL
	Data []byte // its first bytes, decompressed, whole lines
}

// SampleShape decodes up to sample records of objs with spec and counts
// them, calling fn (when not nil) for each record.
func SampleShape(ctx context.Context, spec features.Spec, objs []Object, maxLine, sample int,
	fn func(url string, raw []byte, e *features.Event, reason features.Reason)) (ShapeGuess, []FieldHits, error) {
	d := features.NewDecoder(spec)
	var g ShapeGuess
	var present [64]int64
	for _, o := range objs {
		if g.Records >= int64(sample) {
			break
		}
		err := d.Sample(ctx, bytes.NewReader(o.Data), maxLine, func(raw []byte, e *features.Event, reason features.Reason) bool {
			if reason == features.ReasonFiltered {
				return true // a keep step left it out on purpose: no line of the run
			}
			g.Records++
			if e != nil {
				g.Events++
				for i := range present {
					if e.Present&(1<<i) != 0 {
						present[i]++
					}
				}
			}
			if fn != nil {
				fn(o.URL, raw, e, reason)
			}
			return g.Records < int64(sample)
		})
		if err != nil {
			return g, nil, fmt.Errorf("peek %s: %w", o.URL, err)
		}
	}
	hits := []FieldHits{{Role: "timestamp", Path: spec.Fields.Timestamp, Hits: g.Events, Of: g.Records}}
	c := features.Counts{Present: present}
	for _, p := range c.Presence(spec) {
		hits = append(hits, FieldHits{Role: p.Role, Path: p.Path, Hits: p.Events, Of: g.Events})
		g.FieldHits += p.Events
	}
	return g, hits, nil
}

// GuessShapes decodes the sample with the default settings and each
// preset's, and orders them by the events they decode plus the hits of
// their other fields, then by events; ties keep the order of Shapes,
// after the default.
func GuessShapes(ctx context.Context, cfg settings.PeekConfig, objs []Object, maxLine int) ([]ShapeGuess, error) {
	names := append([]string{""}, settings.ShapeNames()...)
	var out []ShapeGuess
	for _, name := range names {
		var c settings.Config
		env := map[string]string{}
		if name != "" {
			env[settings.EnvPrefix+"SHAPE"] = name
		}
		if err := settings.ParseEnv(&c, env); err != nil {
			return nil, fmt.Errorf("shape %s: %w", name, err)
		}
		c.Input, c.Output = cfg.Input, settings.PeekOutput
		res, err := c.Resolve(time.Now())
		if err != nil {
			return nil, fmt.Errorf("shape %s: %w", name, err)
		}
		g, _, err := SampleShape(ctx, res.Spec, objs, max(maxLine, int(c.MaxLineBytes)), cfg.Sample, nil)
		if err != nil {
			return nil, err
		}
		g.Shape = name
		if name == "" {
			g.Shape = "default"
		}
		out = append(out, g)
	}
	// A shape that reads the timestamp at the wrong level of a wrapped
	// record (bunyan's "time" on Docker's envelope) decodes as many
	// events as the right one but finds none of their other fields.
	score := func(g ShapeGuess) int64 { return g.Events + g.FieldHits }
	sort.SliceStable(out, func(i, j int) bool {
		if score(out[i]) != score(out[j]) {
			return score(out[i]) > score(out[j])
		}
		return out[i].Events > out[j].Events
	})
	return out, nil
}

// NewEvent renders one record.
func NewEvent(url string, raw []byte, e *features.Event, reason features.Reason, spec features.Spec) Event {
	pe := Event{Object: url}
	if len(raw) > 300 {
		pe.Raw = string(raw[:300]) + "…"
	} else {
		pe.Raw = string(raw)
	}
	if e == nil {
		pe.Bad = reason.String()
		return pe
	}
	pe.Time = time.Unix(0, e.Time).UTC()
	pe.Error = e.Level == features.LevelError
	pe.Level = levelName(e.Level)
	if e.HasLatency {
		ms := float64(e.Latency) / 1e6
		pe.LatencyMs = &ms
	}
	pe.Status = e.Status
	if len(spec.GroupBy) > 0 {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			pe.Dimensions = map[string]any{}
			for _, g := range spec.GroupBy {
				pe.Dimensions[g] = lookupPath(m, g)
			}
		}
	}
	return pe
}

// lookupPath follows a dotted path into m, nil when absent.
func lookupPath(m map[string]any, path string) any {
	keys, err := features.ParsePath(path)
	if err != nil {
		return nil
	}
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// AddKeys adds the dotted paths of raw's members, nested objects' too.
func AddKeys(raw []byte, keys map[string]bool) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return
	}
	var walk func(prefix string, m map[string]any, depth int)
	walk = func(prefix string, m map[string]any, depth int) {
		for k, v := range m {
			p := prefix + k
			if strings.Contains(k, ".") {
				p = prefix + `"` + k + `"`
			}
			keys[p] = true
			if o, ok := v.(map[string]any); ok && depth < 4 {
				walk(p+".", o, depth+1)
			}
		}
	}
	walk("", m, 0)
}

// NearestKeys returns the keys of known nearest path, at most three, of
// those at most a third of it away (two edits for a short one).
func NearestKeys(path string, known []string) []string {
	limit := max(2, len(path)/3)
	type cand struct {
		k string
		d int
	}
	var cs []cand
	for _, k := range known {
		d := levenshtein.ComputeDistance(strings.ToLower(path), strings.ToLower(k))
		if d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	for _, c := range cs[:min(3, len(cs))] {
		out = append(out, c.k)
	}
	return out
}

// levelName names a level class.
func levelName(l features.Level) string {
	switch l {
	case features.LevelError:
		return "error"
	case features.LevelWarn:
		return "warn"
	case features.LevelUnknown:
		return "unknown"
	}
	return "info"
}
