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
}

// NewValueReader returns a reader of the JSON values of r, each at most
// maxValue bytes (DefaultMaxLineBytes when maxValue <= 0).
func NewValueReader(r io.Reader, maxValue int) *ValueReader {
	if maxValue <= 0 {
		maxValue = DefaultMaxLineBytes
	}
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
		depth   int
		inStr   bool
		esc     bool
		scalar  = v.buf[v.start] != '{' && v.buf[v.start] != '['
		i       = v.start
		skipped bool // over the limit: bytes are dropped as they are scanned
	)
	for {
		for ; i < v.end; i++ {
			c := v.buf[i]
			switch {
			case esc:
				esc = false
			case inStr:
				if c == '\\' {
					esc = true
				} else if c == '"' {
					inStr = false
					if scalar && depth == 0 {
						i++
						goto done
					}
				}
			case c == '"':
				inStr = true
			case scalar:
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '{' || c == '[' {
					goto done
				}
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					i++
					goto done
				}
			}
		}
		if i-v.start > v.max {
			// Too long: forget what was scanned, keep scanning.
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
		v.tooLong++
		return nil, ErrLineTooLong
	}
	return rec, nil
}

func (v *ValueReader) end_() error {
	if v.err == nil || errors.Is(v.err, io.EOF) {
		return io.EOF
	}
	return v.err
}

// Number returns the 1-based number of the value last returned or skipped.
func (v *ValueReader) Number() int64 { return v.n }
