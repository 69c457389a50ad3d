package features

import (
	"fmt"
	"regexp"
	"strings"
)

// A Pipeline says how an object's bytes become events before the fields of
// each event are read: how the bytes are framed into records, and the
// steps each record goes through (strip a text prefix, decode JSON held in
// a string, make each element of an array an event, turn key/value lists
// into objects). The zero Pipeline is the default: one JSON object per
// line, read as it is.
//
// A Pipeline is written as its steps separated by "|" (see ParsePipeline):
//
//	json-stream | keep:messageType=DATA_MESSAGE | explode:logEvents | unwrap:message
//
// Steps that take an event out of another (unwrap, explode) put the
// child's members at the top level, then the parent's other members unless
// the child has a member of that name, and the parent's members under
// "@parent" (the member taken out excluded, and the parent's own @parent):
// after unwrap:log of Docker's {"log":"{\"level\":\"error\"}\n",
// "stream":"stdout","time":"T"} the event is {"level":"error",
// "stream":"stdout","time":"T","@parent":{"stream":"stdout","time":"T"}},
// so "time" is the application's own field when it has one, and
// "@parent.time" always Docker's.
type Pipeline struct {
	// Stream frames the bytes as concatenated JSON values (any whitespace
	// or none between them) instead of lines.
	Stream bool
	Steps  []Step
}

// IsZero reports whether p is the default: lines, no step.
func (p Pipeline) IsZero() bool { return !p.Stream && len(p.Steps) == 0 }

// Splittable reports whether an object may be read as several byte ranges
// cut at line ends: not when a record may span lines (json-stream) or a
// step joins records (cri, docker-join).
func (p Pipeline) Splittable() bool {
	if p.Stream {
		return false
	}
	for _, s := range p.Steps {
		if s.Kind == StepCRI || s.Kind == StepDockerJoin {
			return false
		}
	}
	return true
}

// String renders the pipeline as ParsePipeline reads it.
func (p Pipeline) String() string {
	var parts []string
	if p.Stream {
		parts = append(parts, "json-stream")
	}
	for _, s := range p.Steps {
		parts = append(parts, s.String())
	}
	return strings.Join(parts, " | ")
}

// StepKind names what a Step does.
type StepKind uint8

// Steps. The prefix steps (StepCRI to StepRegexp) turn a text record into
// an event and come first; the others take and give JSON objects.
const (
	// StepCRI reads a Kubernetes CRI log line, "TIME STREAM TAG MESSAGE",
	// into {"time","stream","tag","message"}, joining the partial ("P")
	// lines of each stream up to the next full ("F") one.
	StepCRI StepKind = iota + 1
	// StepCloudWatchExport reads a line of a CloudWatch Logs export to S3,
	// "TIMESTAMP MESSAGE", into {"timestamp","message"}.
	StepCloudWatchExport
	// StepALB reads an AWS Application Load Balancer access log line into
	// an object keyed by AWS's field names; "-" is null, and so is a
	// processing time of -1.
	StepALB
	// StepRegexp reads a line by a regular expression with named groups:
	// each group that matched becomes a string member, the group "payload"
	// under the name "message".
	StepRegexp
	// StepDockerJoin joins the entries Docker's json-file driver splits a
	// long line into (every "log" but the last lacks the final newline),
	// per "stream".
	StepDockerJoin
	// StepUnwrap decodes the JSON object held in the string field Path.
	StepUnwrap
	// StepExplode makes each object of the array at Path an event.
	StepExplode
	// StepAttributes turns the OTLP key/value list at Path
	// ([{"key":k,"value":{"stringValue":v}}, …]) into the object {k: v}.
	StepAttributes
	// StepKeep passes only events whose field Path holds the string (or
	// number) Value; the others are counted as filtered.
	StepKeep
	// StepCoalesce sets the top-level field Path[0] to the first of From
	// that has a value: present, not null, not "", not 0 and not "0" (OTLP
	// writes 0 for a time it does not know).
	StepCoalesce
)

var stepNames = map[StepKind]string{
	StepCRI: "cri", StepCloudWatchExport: "cloudwatch-export", StepALB: "alb", StepRegexp: "regexp",
	StepDockerJoin: "docker-join", StepUnwrap: "unwrap", StepExplode: "explode",
	StepAttributes: "attributes", StepKeep: "keep", StepCoalesce: "coalesce",
}

// Step is one declared step of a Pipeline.
type Step struct {
	Kind  StepKind
	Path  []string       // unwrap, explode, attributes, keep, coalesce (one key)
	Value string         // keep
	From  [][]string     // coalesce
	Re    *regexp.Regexp // regexp
}

func (s Step) prefix() bool { return s.Kind >= StepCRI && s.Kind <= StepRegexp }

func (s Step) String() string {
	name := stepNames[s.Kind]
	switch s.Kind {
	case StepUnwrap, StepExplode, StepAttributes:
		return name + ":" + FormatPath(s.Path)
	case StepKeep:
		return name + ":" + FormatPath(s.Path) + "=" + s.Value
	case StepCoalesce:
		var from []string
		for _, f := range s.From {
			from = append(from, FormatPath(f))
		}
		return name + ":" + FormatPath(s.Path) + "=" + strings.Join(from, ",")
	}
	return name
}

// ParsePipeline reads a pipeline written as steps separated by "|":
//
//	json-stream        frame: concatenated JSON values, not lines (first)
//	cri                prefix: Kubernetes CRI lines (partial lines joined)
//	cloudwatch-export  prefix: "TIMESTAMP MESSAGE" lines of a CloudWatch export
//	alb                prefix: AWS ALB access log lines
//	regexp             prefix: the expression re (its named groups; "payload" is the message)
//	docker-join        join Docker json-file partial entries
//	unwrap:PATH        decode the JSON object in the string field PATH
//	explode:PATH       each object of the array PATH is an event
//	attributes:PATH    the OTLP key/value list PATH becomes an object
//	keep:PATH=VALUE    only events whose PATH is VALUE
//	coalesce:KEY=A,B   the top-level KEY is the first of A, B with a value (not 0)
//
// A prefix step comes first (after json-stream, which it cannot follow),
// and at most one. re is the expression of the regexp step; it must be
// empty unless the pipeline has one. "" is the default pipeline.
func ParsePipeline(s, re string) (Pipeline, error) {
	var p Pipeline
	if strings.TrimSpace(s) == "" {
		if re != "" {
			return p, fmt.Errorf("a prefix regexp needs the regexp step in the pipeline")
		}
		return p, nil
	}
	for i, part := range strings.Split(s, "|") {
		part = strings.TrimSpace(part)
		name, arg, hasArg := strings.Cut(part, ":")
		if name == "json-stream" {
			if i != 0 || hasArg {
				return p, fmt.Errorf("step %q: json-stream is a framing, first and without an argument", part)
			}
			p.Stream = true
			continue
		}
		var st Step
		for k, n := range stepNames {
			if n == name {
				st.Kind = k
			}
		}
		switch st.Kind {
		case 0:
			return p, fmt.Errorf("step %q: unknown (want json-stream, cri, cloudwatch-export, alb, regexp, docker-join, unwrap:PATH, explode:PATH, attributes:PATH, keep:PATH=VALUE or coalesce:KEY=PATH,PATH)", part)
		case StepCoalesce:
			key, from, ok := cutUnquoted(arg, '=')
			if !ok || from == "" {
				return p, fmt.Errorf("step %q: want coalesce:KEY=PATH,PATH", part)
			}
			var err error
			if st.Path, err = ParsePath(key); err != nil || len(st.Path) != 1 {
				return p, fmt.Errorf("step %q: want one top-level key before '='", part)
			}
			for rest := from; rest != ""; {
				var f string
				f, rest, _ = cutUnquoted(rest, ',')
				path, err := ParsePath(strings.TrimSpace(f))
				if err != nil || path == nil {
					return p, fmt.Errorf("step %q: bad path %q", part, f)
				}
				st.From = append(st.From, path)
			}
		case StepUnwrap, StepExplode, StepAttributes, StepKeep:
			if arg == "" {
				return p, fmt.Errorf("step %q: %s needs a field path (%s:PATH)", part, name, name)
			}
			path := arg
			if st.Kind == StepKeep {
				var ok bool
				if path, st.Value, ok = cutUnquoted(arg, '='); !ok {
					return p, fmt.Errorf("step %q: want keep:PATH=VALUE", part)
				}
			}
			var err error
			if st.Path, err = ParsePath(path); err != nil {
				return p, fmt.Errorf("step %q: %w", part, err)
			}
			if len(st.Path) == 0 {
				return p, fmt.Errorf("step %q: %s needs a field path (%s:PATH)", part, name, name)
			}
		default:
			if hasArg {
				return p, fmt.Errorf("step %q: %s takes no argument", part, name)
			}
		}
		if st.prefix() {
			if len(p.Steps) > 0 || p.Stream {
				return p, fmt.Errorf("step %q: a prefix step reads text lines: it comes first, once, and not after json-stream", part)
			}
			if st.Kind == StepRegexp {
				if re == "" {
					return p, fmt.Errorf("step regexp: the expression is not set (--prefix-regexp)")
				}
				var err error
				if st.Re, err = compilePrefixRegexp(re); err != nil {
					return p, err
				}
			}
		}
		p.Steps = append(p.Steps, st)
	}
	hasRe := false
	for _, st := range p.Steps {
		hasRe = hasRe || st.Kind == StepRegexp
	}
	if re != "" && !hasRe {
		return p, fmt.Errorf("a prefix regexp needs the regexp step in the pipeline")
	}
	return p, nil
}

// cutUnquoted cuts s at the first sep outside double quotes.
func cutUnquoted(s string, sep byte) (before, after string, found bool) {
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && in:
			i++
		case c == '"':
			in = !in
		case c == sep && !in:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func compilePrefixRegexp(s string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("prefix regexp: %w", err)
	}
	hasPayload := false
	for _, n := range re.SubexpNames() {
		if n == "payload" {
			hasPayload = true
		}
		if n == "message" {
			return nil, fmt.Errorf("prefix regexp %q: the group \"message\" is the payload's: name it payload", s)
		}
	}
	if !hasPayload {
		return nil, fmt.Errorf("prefix regexp %q: want a named group (?P<payload>…) for the rest of the line", s)
	}
	return re, nil
}
