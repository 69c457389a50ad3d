package features

import (
	"errors"
	"io"
)

// ValueReader yields the top-level JSON values of a stream in which they
// are concatenated with any whitespace, or none, between them: pretty-printed
// documents spread over lines, or Firehose records written back to back.
// It does not check that a value is valid JSON, only where it ends: a value
// cut short by the end of the stream is returned as it is (and will not
// decode), a run of bytes that cannot start a value is returned as one
// record up to the next whitespace, '{' or '['. Like LineReader it holds at
// most max bytes of a value: a longer one is skipped without being buffered
// and reported as ErrLineTooLong.
type ValueReader struct {
	r       io.Reader
	buf     []byte
	start   int // first byte of the value being scanned
	end     int // bytes in buf
	max     int
	err     error
	n       int64 // values returned or skipped
	tooLong int64
	head    []byte // Head's
}

// Head returns the first bytes (up to 256) of the value Next last skipped
// as too long.
func (v *ValueReader) Head() []byte { return v.head }

// Tail returns nil: a value's end is not kept.
func (v *ValueReader) Tail() []byte { return nil }

// NewValueReader returns a reader of the JSON values of r, each at most
// maxValue bytes; maxValue must be positive.
func NewValueReader(r io.Reader, maxValue int) *ValueReader {
	mustPositiveLine(maxValue)
	return &ValueReader{r: r, max: maxValue, buf: make([]byte, min(maxValue+1, 64<<10))}
}

// fill moves the bytes from v.start to the front of the buffer, growing it
// when it is full, and reads more. It returns the shift applied to offsets
// into the buffer and whether any byte was read.
func (v *ValueReader) fill() (shift int, ok bool) {
	shift = v.start
	if shift > 0 {
		v.end = copy(v.buf[:cap(v.buf)], v.buf[shift:v.end])
		v.start = 0
	}
	if v.err != nil {
		return shift, false
	}
	if v.end == cap(v.buf) {
		nb := make([]byte, max(min(2*cap(v.buf), v.max+64<<10), v.end+64<<10))
		copy(nb, v.buf[:v.end])
		v.buf = nb
	}
	b := v.buf[:cap(v.buf)]
	for range 100 {
		n, err := v.r.Read(b[v.end:])
		v.end += n
		if err != nil {
			v.err = err
			return shift, n > 0
		}
		if n > 0 {
			return shift, true
		}
	}
	v.err = io.ErrNoProgress
	return shift, false
}

// Next returns the next value, valid until the next call; io.EOF at the
// end, ErrLineTooLong for a value over the limit (skipped), or the
// underlying reader's error.
func (v *ValueReader) Next() ([]byte, error) {
	// Skip whitespace and byte-order marks between values.
	for {
		for v.start < v.end {
			c := v.buf[v.start]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				v.start++
				continue
			}
			if c == utf8BOM[0] && v.end-v.start >= 3 && v.buf[v.start+1] == utf8BOM[1] && v.buf[v.start+2] == utf8BOM[2] {
				v.start += 3
				continue
			}
			if c == utf8BOM[0] && v.end-v.start < 3 && v.err == nil {
				break // a mark cut by the buffer's end: read on
			}
			goto value
		}
		if _, ok := v.fill(); !ok {
			if v.start < v.end { // a lone partial mark at the very end
				goto value
			}
			return nil, v.end_()
		}
	}
value:
	v.n++
	var (
		g       grammar
		i       = v.start
		skipped bool // over the limit: bytes are dropped as they are scanned
	)
	if c := v.buf[v.start]; c != '{' && c != '[' && c != '"' {
		g.garbage = true
	}
	for {
		for ; i < v.end; i++ {
			switch g.step(v.buf[i]) {
			case stepDone:
				i++
				goto done
			case stepStop:
				if i == v.start { // cannot happen: the first byte opens a value
					i++
				}
				goto done
			}
		}
		if i-v.start > v.max {
			// Too long: forget what was scanned, keep scanning.
			if !skipped {
				v.head = append(v.head[:0], v.buf[v.start:v.start+min(i-v.start, maxHead)]...)
			}
			skipped = true
			v.start = i
		}
		shift, ok := v.fill()
		i -= shift
		if !ok {
			i = v.end
			goto done // the stream ends inside the value
		}
	}
done:
	rec := v.buf[v.start:i]
	v.start = i
	if skipped || len(rec) > v.max {
		if !skipped {
			v.head = append(v.head[:0], rec[:min(len(rec), maxHead)]...)
		}
		v.tooLong++
		return nil, ErrLineTooLong
	}
	return rec, nil
}

// grammar follows JSON's grammar closely enough to find where a value
// ends, and where bytes stop being able to continue it: a value cut short
// by its producer (a truncated record, a string cut by a newline) ends at
// the first byte that cannot follow, and the next value starts there, so
// one damaged record is one bad record, never the rest of the object.
// Numbers and literals are any run of letters, digits, '.', '+' and '-':
// the decoder judges them.
type grammar struct {
	stack   []byte // '{' or '[' per open container
	exp     expect
	inStr   bool
	esc     bool
	inLit   bool // inside a number or literal
	garbage bool // the record does not start a value: it runs to whitespace, '{' or '['
}

type expect uint8

const (
	expValue        expect = iota // a value
	expValueOrClose               // a value or ']' (after '[')
	expKeyOrClose                 // a key or '}' (after '{')
	expKey                        // a key (after ',' in an object)
	expColon                      // ':' after a key
	expAfter                      // ',' or the container's close, after a value
)

const (
	stepMore = iota // the byte belongs to the value, which goes on
	stepDone        // the byte ends the value
	stepStop        // the byte cannot continue the value: it ends before it
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isLit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '+' || c == '-'
}

// step takes the next byte.
func (g *grammar) step(c byte) int {
	if g.garbage {
		if isSpace(c) || c == '{' || c == '[' {
			return stepStop
		}
		return stepMore
	}
	if g.inStr {
		switch {
		case g.esc:
			g.esc = false
		case c == '\\':
			g.esc = true
		case c == '"':
			g.inStr = false
			return g.afterValue()
		case c < 0x20:
			return stepStop // a raw control byte (a newline) cannot be in a string
		}
		return stepMore
	}
	if g.inLit {
		if isLit(c) {
			return stepMore
		}
		g.inLit = false
		if r := g.afterValue(); r != stepMore {
			return stepStop // a top-level number ends before this byte
		}
	}
	if isSpace(c) {
		return stepMore
	}
	switch g.exp {
	case expColon:
		if c != ':' {
			return stepStop
		}
		g.exp = expValue
		return stepMore
	case expKey, expKeyOrClose:
		switch {
		case c == '"':
			g.inStr, g.exp = true, expColon
			g.stack = append(g.stack, ':') // the key's string is not a value
			return stepMore
		case c == '}' && g.exp == expKeyOrClose:
			return g.close()
		}
		return stepStop
	case expAfter:
		top := g.stack[len(g.stack)-1]
		switch {
		case c == ',' && top == '{':
			g.exp = expKey
		case c == ',' && top == '[':
			g.exp = expValue
		case c == '}' && top == '{', c == ']' && top == '[':
			return g.close()
		default:
			return stepStop
		}
		return stepMore
	}
	// expValue, expValueOrClose
	switch {
	case c == '{':
		g.stack, g.exp = append(g.stack, '{'), expKeyOrClose
	case c == '[':
		g.stack, g.exp = append(g.stack, '['), expValueOrClose
	case c == '"':
		g.inStr = true
	case c == ']' && g.exp == expValueOrClose:
		return g.close()
	case isLit(c):
		g.inLit = true
	default:
		return stepStop
	}
	return stepMore
}

// close pops a container; the value it closes is complete.
func (g *grammar) close() int {
	g.stack = g.stack[:len(g.stack)-1]
	return g.afterValue()
}

// afterValue is called when a value (or a key's string) is complete.
func (g *grammar) afterValue() int {
	if n := len(g.stack); n > 0 && g.stack[n-1] == ':' {
		g.stack = g.stack[:n-1] // the key's string: a colon follows
		return stepMore
	}
	if len(g.stack) == 0 {
		return stepDone
	}
	g.exp = expAfter
	return stepMore
}

func (v *ValueReader) end_() error {
	if v.err == nil || errors.Is(v.err, io.EOF) {
		return io.EOF
	}
	return v.err
}

// Number returns the 1-based number of the value last returned or skipped.
func (v *ValueReader) Number() int64 { return v.n }
