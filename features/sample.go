package features

import (
	"context"
	"io"
)

// Sample decodes r, an object's decompressed content, as Ingest would —
// through the spec's pipeline, then the decoder — and calls fn with each
// record the run would count as a line: the event's text after the
// pipeline's steps, the event (valid during the call) and ReasonNone, or
// a record that is bad with its reason (the text is nil for a line too
// long to hold). Blank records are not passed. fn returning false stops
// the reading; Sample then returns nil. raw is valid during the call only.
func (d *Decoder) Sample(ctx context.Context, r io.Reader, maxLine int, fn func(raw []byte, e *Event, reason Reason) bool) error {
	stopped := false
	sr := &stopReader{r: r, stop: &stopped}
	emit := func(raw []byte, e *Event, reason Reason) {
		if !stopped && !fn(raw, e, reason) {
			stopped = true
		}
	}
	decode := func(b []byte) {
		e, reason := d.Decode(b)
		if reason != ReasonNone {
			emit(b, nil, reason)
			return
		}
		emit(b, &e, ReasonNone)
	}
	if !d.spec.Pipeline.IsZero() {
		var number func() int64
		bad := func(reason Reason, b []byte) {
			if reason != ReasonPartialLine {
				emit(b, nil, reason)
			}
		}
		return d.pipelineEvents(ctx, sr, maxLine, &number, decode, bad, func() {})
	}
	lr := NewLineReader(sr, maxLine)
	for !stopped {
		line, err := lr.Next()
		switch {
		case err == ErrLineTooLong:
			emit(nil, nil, ReasonLineTooLong)
			continue
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !isBlank(line) {
			decode(line)
		}
	}
	return nil
}

// stopReader reads r until *stop is set, then reports the end.
type stopReader struct {
	r    io.Reader
	stop *bool
}

func (s *stopReader) Read(p []byte) (int, error) {
	if *s.stop {
		return 0, io.EOF
	}
	return s.r.Read(p)
}
