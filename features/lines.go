package features

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// LineReader yields lines from a stream without holding more than a bounded
// buffer: a line longer than the limit is skipped without being buffered.
type LineReader struct {
	head    []byte // Head's
	tail    []byte // Tail's
	br      *bufio.Reader
	max     int
	tooLong int64
	lineNo  int64
}

// NewLineReader returns a reader of lines of at most maxLine bytes from r:
// the limit counts a line's content, without its ending (LF or CRLF) and
// without a byte-order mark before it. maxLine must be positive: it is the
// caller's setting, features has no default.
func NewLineReader(r io.Reader, maxLine int) *LineReader {
	mustPositiveLine(maxLine)
	// bufio needs room for the line, a mark before it and its CRLF, so that
	// a line of exactly maxLine is read whatever frames it; a floor keeps
	// reads large.
	size := max(maxLine+len(utf8BOM)+2, 64<<10)
	return &LineReader{br: bufio.NewReaderSize(r, size), max: maxLine}
}

// reset makes l read lines of at most maxLine bytes from r, keeping its
// buffer when it is the size maxLine needs; it reports false, changing
// nothing, when it is not.
func (l *LineReader) reset(r io.Reader, maxLine int) bool {
	if maxLine != l.max {
		return false
	}
	l.br.Reset(r)
	l.tooLong, l.lineNo = 0, 0
	return true
}

// ErrLineTooLong is returned by Next for a line over the limit; the line has
// been skipped and the next call continues after it.
var ErrLineTooLong = errors.New("line too long")

// utf8BOM is the byte-order mark some Windows tools write at the start of a
// UTF-8 file; JSON does not allow it before a value.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Next returns the next line without its line ending and without a leading
// UTF-8 byte-order mark, valid until the next call. The mark is dropped at
// the start of any line, not only the first, because concatenated files
// (`cat a.jsonl b.jsonl`, gzip members of several files) carry one each. For
// an over-long line it returns ErrLineTooLong. At the end it returns io.EOF;
// other errors come from the underlying reader.
func (l *LineReader) Next() ([]byte, error) {
	line, err := l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.head = append(l.head[:0], line[:min(len(line), maxHead)]...)
		l.tail = l.tail[:0]
		l.keepTail(line)
		l.lineNo++
		l.tooLong++
		if err := l.discardLine(); err != nil {
			return nil, err
		}
		return nil, ErrLineTooLong
	}
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	l.lineNo++
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > 0 && line[0] == utf8BOM[0] { // one compare per line on the hot path
		line = bytes.TrimPrefix(line, utf8BOM)
	}
	if len(line) > l.max {
		l.head = append(l.head[:0], line[:min(len(line), maxHead)]...)
		l.tail = append(l.tail[:0], line[max(0, len(line)-maxHead):]...)
		l.tooLong++
		return nil, ErrLineTooLong
	}
	return line, nil
}

// maxHead is how much of a line skipped as too long Head keeps.
const maxHead = 256

// Head returns the first bytes (up to 256) of the line Next last skipped
// as too long: enough to tell the stream of a CRI line.
func (l *LineReader) Head() []byte { return l.head }

// Tail returns the last bytes (up to 256, line ending included) of the line
// Next last skipped as too long: enough to tell the stream of a Docker
// json-file entry, and whether its log ends the line.
func (l *LineReader) Tail() []byte { return l.tail }

// keepTail appends b to the tail, keeping its last maxHead bytes.
func (l *LineReader) keepTail(b []byte) {
	if len(b) >= maxHead {
		l.tail = append(l.tail[:0], b[len(b)-maxHead:]...)
		return
	}
	l.tail = append(l.tail, b...)
	if n := len(l.tail); n > maxHead {
		l.tail = append(l.tail[:0], l.tail[n-maxHead:]...)
	}
}

func (l *LineReader) discardLine() error {
	for {
		b, err := l.br.ReadSlice('\n')
		l.keepTail(b)
		switch {
		case err == nil, err == io.EOF:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return err
		}
	}
}

// LineNumber returns the 1-based number of the line last returned or skipped.
func (l *LineReader) LineNumber() int64 { return l.lineNo }

// TooLong returns how many lines were skipped for exceeding the limit.
func (l *LineReader) TooLong() int64 { return l.tooLong }

// IngestOptions tune Ingest.
type IngestOptions struct {
	// MaxLine is the longest line decoded; it must be positive.
	MaxLine int
	// OnBad, when set, is called for each skipped line with its 1-based
	// number, the reason and the line (nil for over-long lines, which are
	// never held whole). The line is only valid during the call.
	OnBad func(line int64, reason Reason, raw []byte)
}

// Ingest reads every line of r into p with d. It returns the first read or
// decompression error, or ctx's error if ctx is cancelled; p then holds
// everything read before it.
//
// The line reader's buffer (--max-line-bytes, 1 MiB by default) is kept in
// d and reused by the next Ingest with d: allocating and zeroing it for
// every object cost more than reading a small object.
func Ingest(ctx context.Context, r io.Reader, d *Decoder, p *Partial, o IngestOptions) error {
	if !d.spec.Pipeline.IsZero() {
		return ingestPipeline(ctx, r, d, p, o)
	}
	lr := d.lines
	if lr == nil || !lr.reset(r, o.MaxLine) {
		lr = NewLineReader(r, o.MaxLine)
		d.lines = lr
	}
	// Drop the reference to r when done, so a kept reader does not keep
	// the stream (and what it holds) alive.
	defer lr.br.Reset(nil)
	var n int
	for {
		line, err := lr.Next()
		if err == ErrLineTooLong {
			p.Counts.Lines++
			p.Counts.Bad[ReasonLineTooLong]++
			if o.OnBad != nil {
				o.OnBad(lr.LineNumber(), ReasonLineTooLong, nil)
			}
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", lr.LineNumber()+1, err)
		}
		if n++; n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if isBlank(line) {
			p.Counts.Blank++
			continue
		}
		p.Counts.Lines++
		e, reason := d.Decode(line)
		if reason != ReasonNone {
			p.Counts.Bad[reason]++
			if o.OnBad != nil {
				o.OnBad(lr.LineNumber(), reason, line)
			}
			continue
		}
		p.Counts.Events++
		p.Add(&e)
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// recordReader is a LineReader or a ValueReader.
type recordReader interface {
	Next() ([]byte, error)
	// Head and Tail return the first and last bytes of the record Next
	// last skipped as too long (Tail may be nil).
	Head() []byte
	Tail() []byte
}

// joiner is a step that joins the parts of a line: told of a record
// skipped as too long, it drops the join that record belonged to.
type joiner interface {
	tooLong(head, tail []byte)
}

// ingestPipeline is Ingest through d's pipeline: each record (line or JSON
// value) goes through the steps, and each event they give is decoded. A
// record a step refuses counts as one bad line; every event a record gives
// counts as one line. Bad lines are numbered by their record.
func ingestPipeline(ctx context.Context, r io.Reader, d *Decoder, p *Partial, o IngestOptions) error {
	var number func() int64
	bad := func(reason Reason, b []byte) {
		if reason != ReasonPartialLine {
			p.Counts.Lines++
		}
		p.Counts.Bad[reason]++
		if o.OnBad != nil && reason != ReasonFiltered {
			o.OnBad(number(), reason, b)
		}
	}
	decode := func(b []byte) {
		p.Counts.Lines++
		e, reason := d.Decode(b)
		if reason != ReasonNone {
			p.Counts.Bad[reason]++
			if o.OnBad != nil {
				o.OnBad(number(), reason, b)
			}
			return
		}
		p.Counts.Events++
		p.Add(&e)
	}
	blank := func() { p.Counts.Blank++ }
	return d.pipelineEvents(ctx, r, o.MaxLine, &number, decode, bad, blank)
}

// pipelineEvents frames r into records and passes each through the
// pipeline's steps: every event they give goes to event, every record or
// part of one they refuse to bad, every blank record to blank. number is
// set to the function giving the current record's number. Steps that hold
// a partial record at the end pass it on.
func (d *Decoder) pipelineEvents(ctx context.Context, r io.Reader, maxLine int, number *func() int64,
	event func([]byte), bad func(Reason, []byte), blank func()) error {
	mustPositiveLine(maxLine)
	pl := d.spec.Pipeline
	if d.steps == nil || d.stepsMax != maxLine {
		d.steps = d.steps[:0]
		for _, s := range pl.Steps {
			d.steps = append(d.steps, newStepRunner(s, maxLine))
		}
		d.stepsMax = maxLine
	}
	for _, s := range d.steps {
		s.flush(func([]byte) {}, func(Reason, []byte) {}) // drop what a failed object left
	}
	var rr recordReader
	if pl.Stream {
		vr := NewValueReader(r, maxLine)
		rr, *number = vr, vr.Number
	} else {
		lr := d.lines
		if lr == nil || !lr.reset(r, maxLine) {
			lr = NewLineReader(r, maxLine)
			d.lines = lr
		}
		defer lr.br.Reset(nil)
		rr, *number = lr, lr.LineNumber
	}
	// outs[i] passes an event to step i, outs[len] to event.
	outs := make([]func([]byte), len(d.steps)+1)
	outs[len(d.steps)] = event
	for i := len(d.steps) - 1; i >= 0; i-- {
		s, next := d.steps[i], outs[i+1]
		outs[i] = func(b []byte) { s.apply(b, next, bad) }
	}
	var n int
	for {
		rec, err := rr.Next()
		if err == ErrLineTooLong {
			if len(d.steps) > 0 {
				if j, ok := d.steps[0].(joiner); ok {
					j.tooLong(rr.Head(), rr.Tail())
				}
			}
			bad(ReasonLineTooLong, nil)
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("record %d: %w", (*number)()+1, err)
		}
		if n++; n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if isBlank(rec) {
			blank()
			continue
		}
		outs[0](rec)
	}
	for i, s := range d.steps {
		s.flush(outs[i+1], bad)
	}
	return nil
}

// mustPositiveLine panics on a line limit below 1: a caller's mistake,
// which a default here would hide (the limit is a setting, with its one
// default where settings are declared).
func mustPositiveLine(n int) {
	if n < 1 {
		panic(fmt.Sprintf("features: the longest line must be positive, not %d", n))
	}
}
