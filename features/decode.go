package features

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/valyala/fastjson"
)

// Reason says why a line was skipped.
type Reason uint8

// Reasons a line is skipped. ReasonNone means the line was decoded.
const (
	ReasonNone Reason = iota
	ReasonNotJSON
	ReasonMissingTimestamp
	ReasonBadTimestamp
	ReasonBadLatency
	ReasonLineTooLong
	numReasons
)

var reasonNames = [numReasons]string{
	ReasonNone:             "none",
	ReasonNotJSON:          "not_json",
	ReasonMissingTimestamp: "missing_timestamp",
	ReasonBadTimestamp:     "bad_timestamp",
	ReasonBadLatency:       "bad_latency",
	ReasonLineTooLong:      "line_too_long",
}

// String returns the reason's name as used in summaries and manifests.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// Reasons lists every reason a line can be skipped for, in a stable order.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonNone + 1; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// Level is the severity class of an event.
type Level uint8

// Severity classes. Only errors and warnings are counted separately.
const (
	LevelOther Level = iota
	LevelWarn
	LevelError
)

// Event is the part of a log line the features are computed from.
type Event struct {
	Time       int64 // Unix nanoseconds, UTC
	Latency    int64 // nanoseconds; meaningful only when HasLatency
	HasLatency bool
	Level      Level
}

// Fields names the JSON fields a [Decoder] reads. A name with dots is a path
// into nested objects ("http.duration").
type Fields struct {
	Timestamp string
	Level     string
	Latency   string
}

// DefaultFields are the field names of the canonical log line
// {"timestamp":"...","level":"INFO","latency_ms":120}.
var DefaultFields = Fields{Timestamp: "timestamp", Level: "level", Latency: "latency_ms"}

// Decoder extracts an [Event] from one JSON line. A Decoder reuses its
// buffers and is not safe for concurrent use: give each task its own.
type Decoder struct {
	p                  fastjson.Parser
	ts, level, latency []string
	latencyToNanos     float64
}

// NewDecoder returns a decoder for the given fields. Latencies are read in
// milliseconds.
func NewDecoder(f Fields) *Decoder {
	return &Decoder{
		ts:             splitPath(f.Timestamp),
		level:          splitPath(f.Level),
		latency:        splitPath(f.Latency),
		latencyToNanos: 1e6,
	}
}

func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// maxLatencyNanos keeps latencies inside int64 nanoseconds.
const maxLatencyNanos = float64(1 << 62)

// Decode decodes one line. It returns ReasonNone and the event, or the reason
// the line must be skipped. It never panics, whatever the input.
func (d *Decoder) Decode(line []byte) (Event, Reason) {
	var e Event
	v, err := d.p.ParseBytes(line)
	if err != nil || v.Type() != fastjson.TypeObject {
		return e, ReasonNotJSON
	}
	tv := v.Get(d.ts...)
	if tv == nil || tv.Type() == fastjson.TypeNull {
		return e, ReasonMissingTimestamp
	}
	tb, err := tv.StringBytes()
	if err != nil {
		return e, ReasonBadTimestamp
	}
	if e.Time, err = ParseRFC3339(tb); err != nil {
		return e, ReasonBadTimestamp
	}
	if d.latency != nil {
		if lv := v.Get(d.latency...); lv != nil && lv.Type() != fastjson.TypeNull {
			f, err := lv.Float64()
			if err != nil || math.IsNaN(f) || f < 0 {
				return e, ReasonBadLatency
			}
			ns := math.Round(f * d.latencyToNanos)
			if ns >= maxLatencyNanos {
				return e, ReasonBadLatency
			}
			e.Latency, e.HasLatency = int64(ns), true
		}
	}
	if d.level != nil {
		if lv := v.Get(d.level...); lv != nil && lv.Type() == fastjson.TypeString {
			b, _ := lv.StringBytes()
			e.Level = classifyLevel(b)
		}
	}
	return e, ReasonNone
}

func classifyLevel(b []byte) Level {
	switch len(b) {
	case 4:
		if bytes.EqualFold(b, []byte("warn")) {
			return LevelWarn
		}
	case 5:
		if bytes.EqualFold(b, []byte("error")) || bytes.EqualFold(b, []byte("fatal")) {
			return LevelError
		}
	case 7:
		if bytes.EqualFold(b, []byte("warning")) {
			return LevelWarn
		}
	case 8:
		if bytes.EqualFold(b, []byte("critical")) {
			return LevelError
		}
	}
	return LevelOther
}
