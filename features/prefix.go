package features

import (
	"bytes"
	"maps"
	"slices"
)

// The prefix steps read a text line into a JSON object of strings.

// looksLikeTime reports whether b can be the RFC 3339 timestamp a runtime
// or service put before a message: a digit first, a 'T' or space after
// the date. The timestamp itself is judged when it is parsed.
func looksLikeTime(b []byte) bool {
	return len(b) >= 10 && b[0] >= '0' && b[0] <= '9' && b[4] == '-'
}

// criStep reads Kubernetes CRI log lines ("TIME STREAM TAG MESSAGE", as
// the kubelet's container runtimes write them under /var/log/pods): STREAM
// is stdout or stderr, TAG is "F" for a full line or "P" for a part of a
// long one continued by the next lines of the same stream; further tags
// after ':' are ignored. The joined line keeps the time of its first part.
//
// A line whose parts exceed the record limit (or one of whose parts the
// line reader skipped as too long) is one line_too_long; its later parts
// are dropped up to its F line. A line still open at the end of the object
// is reported as partial_line (see ReasonPartialLine).
type criStep struct {
	max     int
	pending map[string]*criPending
	out     []byte
}

type criPending struct {
	time    []byte
	message []byte
	discard bool // over the limit (counted): drop the parts up to F
}

// criFields splits a CRI line; ok is false when it is not one.
func criFields(rec []byte) (ts, stream []byte, tag byte, msg []byte, ok bool) {
	ts, rest, ok1 := bytes.Cut(rec, []byte{' '})
	stream, rest, ok2 := bytes.Cut(rest, []byte{' '})
	tags, msg, _ := bytes.Cut(rest, []byte{' '})
	tags, _, _ = bytes.Cut(tags, []byte{':'})
	if !ok1 || !ok2 || !looksLikeTime(ts) || string(stream) != "stdout" && string(stream) != "stderr" ||
		len(tags) != 1 || tags[0] != 'F' && tags[0] != 'P' {
		return nil, nil, 0, nil, false
	}
	return ts, stream, tags[0], msg, true
}

func (c *criStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	ts, stream, tag, msg, ok := criFields(rec)
	if !ok {
		bad(ReasonBadShape, rec)
		return
	}
	pd := c.pending[string(stream)]
	if tag == 'F' && pd == nil {
		c.emit(ts, stream, 'F', msg, out)
		return
	}
	if pd == nil {
		pd = &criPending{time: slices.Clone(ts)}
		c.pending[string(stream)] = pd
	}
	if !pd.discard {
		pd.message = append(pd.message, msg...)
		if len(pd.message) > c.max {
			pd.discard, pd.message = true, nil
			bad(ReasonLineTooLong, nil)
		}
	}
	if tag == 'F' {
		delete(c.pending, string(stream))
		if !pd.discard {
			c.emit(pd.time, stream, 'F', pd.message, out)
		}
	}
}

// tooLong takes the head of a line the reader skipped: a part of its
// stream's line, which is then dropped up to its F line (the skip counted
// the whole line once).
func (c *criStep) tooLong(head, _ []byte) {
	ts, stream, tag, _, ok := criFields(head)
	if !ok {
		return
	}
	if tag == 'F' {
		delete(c.pending, string(stream))
		return
	}
	c.pending[string(stream)] = &criPending{time: slices.Clone(ts), discard: true}
}

func (c *criStep) emit(ts, stream []byte, tag byte, msg []byte, out func([]byte)) {
	b := append(c.out[:0], `{"time":`...)
	b = appendJSONString(b, ts)
	b = append(b, `,"stream":`...)
	b = appendJSONString(b, stream)
	b = append(b, `,"tag":"`...)
	b = append(b, tag)
	b = append(b, `","message":`...)
	b = appendJSONString(b, msg)
	c.out = append(b, '}')
	out(c.out)
}

// flush reports the lines still open (the log was rotated, or cut, while
// the line was being written) as partial_line.
func (c *criStep) flush(_ func([]byte), bad func(Reason, []byte)) {
	for _, s := range slices.Sorted(maps.Keys(c.pending)) {
		if pd := c.pending[s]; !pd.discard {
			bad(ReasonPartialLine, pd.message)
		}
	}
	clear(c.pending)
}

// cloudWatchExportStep reads the lines of a CloudWatch Logs export to S3:
// "TIMESTAMP MESSAGE", TIMESTAMP in RFC 3339 (the ingestion of the event
// by CloudWatch, as the export writes it).
type cloudWatchExportStep struct{ out []byte }

func (c *cloudWatchExportStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	ts, msg, ok := bytes.Cut(rec, []byte{' '})
	if !ok || !looksLikeTime(ts) {
		bad(ReasonBadShape, rec)
		return
	}
	b := append(c.out[:0], `{"timestamp":`...)
	b = appendJSONString(b, ts)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	c.out = append(b, '}')
	out(c.out)
}

func (c *cloudWatchExportStep) flush(func([]byte), func(Reason, []byte)) {}

// albFields are the fields of an Application Load Balancer access log
// entry, in order, as AWS documents them
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html).
// Fields AWS adds at the end later are ignored.
var albFields = []string{
	"type", "time", "elb", "client:port", "target:port",
	"request_processing_time", "target_processing_time", "response_processing_time",
	"elb_status_code", "target_status_code", "received_bytes", "sent_bytes",
	"request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn",
	"trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority",
	"request_creation_time", "actions_executed", "redirect_url", "error_reason",
	"target:port_list", "target_status_code_list", "classification",
	"classification_reason", "conn_trace_id",
}

// albMinFields is how many fields every ALB entry has had since 2016 (up to
// "request").
const albMinFields = 13

// albStep reads an ALB access log line: fields separated by single spaces,
// those that may hold spaces in double quotes (a quote inside is written
// \"). "-" is null, and so is -1 in a processing time (the request was
// not dispatched or the connection closed).
type albStep struct {
	out   []byte
	field []byte
}

func (a *albStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	var w objectWriter
	w.open(a.out[:0])
	n := 0
	for i := 0; i < len(rec) && n < len(albFields); n++ {
		a.field = a.field[:0]
		if rec[i] == '"' {
			j := i + 1
			closed := false
			for j < len(rec) {
				c := rec[j]
				if c == '\\' && j+1 < len(rec) {
					a.field = append(a.field, rec[j+1])
					j += 2
					continue
				}
				j++
				if c == '"' {
					closed = true
					break
				}
				a.field = append(a.field, c)
			}
			if !closed || (j < len(rec) && rec[j] != ' ') {
				bad(ReasonBadShape, rec)
				return
			}
			i = j + 1
		} else {
			j := bytes.IndexByte(rec[i:], ' ')
			if j < 0 {
				j = len(rec) - i
			}
			a.field = append(a.field, rec[i:i+j]...)
			i += j + 1
		}
		name := albFields[n]
		w.key([]byte(name))
		switch {
		case string(a.field) == "-",
			string(a.field) == "-1" && (n >= 5 && n <= 7):
			w.b = append(w.b, "null"...)
		default:
			w.b = appendJSONString(w.b, a.field)
		}
	}
	a.out = w.close()
	if n < albMinFields {
		bad(ReasonBadShape, rec)
		return
	}
	out(a.out)
}

func (a *albStep) flush(func([]byte), func(Reason, []byte)) {}

// regexpStep reads a line by a regular expression's named groups.
type regexpStep struct {
	s   Step
	out []byte
}

func (r *regexpStep) apply(rec []byte, out func([]byte), bad func(Reason, []byte)) {
	m := r.s.Re.FindSubmatchIndex(rec)
	if m == nil {
		bad(ReasonBadShape, rec)
		return
	}
	var w objectWriter
	w.open(r.out[:0])
	for i, name := range r.s.Re.SubexpNames() {
		if name == "" || m[2*i] < 0 {
			continue
		}
		if name == "payload" {
			name = "message"
		}
		w.key([]byte(name))
		w.b = appendJSONString(w.b, rec[m[2*i]:m[2*i+1]])
	}
	r.out = w.close()
	out(r.out)
}

func (r *regexpStep) flush(func([]byte), func(Reason, []byte)) {}
