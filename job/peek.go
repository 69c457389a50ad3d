package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
)

// Peek limits.
const (
	peekBytes   = 8 << 20 // decompressed bytes read, over all objects
	peekObjects = 100     // objects read
)

// PeekEvent is one record as the run's decoder read it.
type PeekEvent struct {
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

// PeekReport is what peek found.
type PeekReport struct {
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
	First      []PeekEvent      `json:"first"`
	Fields     []FieldHits      `json:"fields"`
	// Shapes are every shape tried, best first; LooksLike the best when
	// it decodes any event.
	Shapes    []ShapeGuess `json:"shapes"`
	LooksLike string       `json:"looks_like,omitempty"`
	// Shape is the shape of the settings given ("default" for none).
	Shape string `json:"shape"`
}

// peekObject is the head of one object, decompressed.
type peekObject struct {
	url  string
	data []byte
}

// Peek reads the start of cfg's input as a run would list and decode it,
// and reports the first events, the fields' hit rates and the shape it
// looks like. It writes nothing and opens no output.
func Peek(ctx context.Context, cfg settings.PeekConfig, opts Options) (*PeekReport, error) {
	opts = opts.withDefaults()
	res, err := cfg.Resolve(opts.Now())
	if err != nil {
		return nil, err
	}
	l, err := resolveInputs(ctx, &cfg.Config, res, readPolicy(&cfg.ReadSettings, opts), opts.Stdin, opts.Logger)
	if err != nil {
		return nil, err
	}
	if len(l.inputs) == 0 {
		return nil, l.noInputs()
	}
	rep := &PeekReport{Input: cfg.Input, Objects: len(l.inputs), Skipped: l.skipped, Shape: cfg.DecodeSettings.Shape, Bad: map[string]int64{}}
	if rep.Shape == "" {
		rep.Shape = "default"
	}
	if len(rep.Skipped) == 0 {
		rep.Skipped = nil
	}
	maxLine := int(cfg.MaxLineBytes)
	var objs []peekObject
	var dec features.Decompressor
	var total int64
	for _, in := range l.inputs {
		if total >= peekBytes || len(objs) >= peekObjects || rep.Records >= int64(cfg.Sample) {
			break
		}
		data, err := peekRead(ctx, &dec, in, peekBytes-total)
		if err != nil {
			if _, damaged := err.(*features.DamageError); damaged {
				rep.Unreadable = append(rep.Unreadable, err.Error())
				continue
			}
			return nil, err
		}
		total += int64(len(data))
		o := peekObject{url: in.url(), data: data}
		objs = append(objs, o)
		rep.Read = append(rep.Read, o.url)
		// Count the records so far, to stop listing once the sample is full.
		n, _, err := sampleShape(ctx, res.Spec, []peekObject{o}, maxLine, cfg.Sample, nil)
		if err != nil {
			return nil, err
		}
		rep.Records += n.Records
	}
	rep.Bytes = total
	keys := map[string]bool{}
	guess, hits, err := sampleShape(ctx, res.Spec, objs, maxLine, cfg.Sample, func(url string, raw []byte, e *features.Event, reason features.Reason) {
		if raw != nil && reason != features.ReasonNotJSON {
			addKeys(raw, keys)
		}
		if reason != features.ReasonNone {
			rep.Bad[reason.String()]++
		}
		if len(rep.First) < cfg.Lines {
			rep.First = append(rep.First, peekEvent(url, raw, e, reason, res.Spec))
		}
	})
	if err != nil {
		return nil, err
	}
	if len(rep.Bad) == 0 {
		rep.Bad = nil
	}
	rep.Records, rep.Events = guess.Records, guess.Events
	rep.Fields = hits
	known := slices.Sorted(func(yield func(string) bool) {
		for k := range keys {
			if !yield(k) {
				return
			}
		}
	})
	for i := range rep.Fields {
		f := &rep.Fields[i]
		if f.Hits == 0 && f.Of > 0 && !strings.HasPrefix(f.Path, "@parent.") {
			f.DidYouMean = nearestKeys(f.Path, known)
		}
	}
	rep.Shapes, err = guessShapes(ctx, cfg, objs, maxLine)
	if err != nil {
		return nil, err
	}
	if len(rep.Shapes) > 0 && rep.Shapes[0].Events > 0 {
		rep.LooksLike = rep.Shapes[0].Shape
	}
	return rep, nil
}

// peekRead returns the first bytes of in, decompressed, at most limit,
// cut after the last whole line when the limit cut it.
func peekRead(ctx context.Context, dec *features.Decompressor, in input, limit int64) ([]byte, error) {
	rc := in.bucket.StreamRange(ctx, in.info, 0, -1)
	defer rc.Close()
	raw := &features.CountingReader{R: rc}
	dr, codec, err := dec.Open(raw)
	if raw.Err != nil {
		return nil, storageErr(fmt.Errorf("peek %s: %w", in.url(), raw.Err))
	}
	if err != nil {
		return nil, &features.DamageError{Object: in.url(), Codec: codec, Head: true, Err: err}
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(dr, limit+1))
	if raw.Err != nil {
		return nil, storageErr(fmt.Errorf("peek %s: %w", in.url(), raw.Err))
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		data = data[:limit]
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	} else if err != nil && len(data) == 0 {
		return nil, &features.DamageError{Object: in.url(), Codec: codec, Err: err}
	}
	return data, nil
}

// sampleShape decodes up to sample records of objs with spec and counts
// them, calling fn (when not nil) for each record.
func sampleShape(ctx context.Context, spec features.Spec, objs []peekObject, maxLine, sample int,
	fn func(url string, raw []byte, e *features.Event, reason features.Reason)) (ShapeGuess, []FieldHits, error) {
	d := features.NewDecoder(spec)
	var g ShapeGuess
	var present [64]int64
	for _, o := range objs {
		if g.Records >= int64(sample) {
			break
		}
		err := d.Sample(ctx, bytes.NewReader(o.data), maxLine, func(raw []byte, e *features.Event, reason features.Reason) bool {
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
				fn(o.url, raw, e, reason)
			}
			return g.Records < int64(sample)
		})
		if err != nil {
			return g, nil, fmt.Errorf("peek %s: %w", o.url, err)
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

// guessShapes decodes the sample with the default settings and each
// preset's, and orders them by the events they decode plus the hits of
// their other fields, then by events; ties keep the order of Shapes,
// after the default.
func guessShapes(ctx context.Context, cfg settings.PeekConfig, objs []peekObject, maxLine int) ([]ShapeGuess, error) {
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
		g, _, err := sampleShape(ctx, res.Spec, objs, max(maxLine, int(c.MaxLineBytes)), cfg.Sample, nil)
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

// peekEvent renders one record.
func peekEvent(url string, raw []byte, e *features.Event, reason features.Reason, spec features.Spec) PeekEvent {
	pe := PeekEvent{Object: url}
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

// addKeys adds the dotted paths of raw's members, nested objects' too.
func addKeys(raw []byte, keys map[string]bool) {
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

// nearestKeys returns the keys of known nearest path, at most three, of
// those at most a third of it away (two edits for a short one).
func nearestKeys(path string, known []string) []string {
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
