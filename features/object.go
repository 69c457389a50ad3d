package features

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ObjectOptions bound and sample the reading of one object.
type ObjectOptions struct {
	// MaxObjectBytes is the largest decompressed object; a larger one (a
	// gzip bomb) is damaged and rejected whole.
	MaxObjectBytes int64
	// MaxLine is the longest line decoded; it must be positive.
	MaxLine int
	// Samples is how many bad lines are kept per object.
	Samples int
}

// ObjectReader reads objects into partials end to end: it tells the codec
// from the first bytes, decompresses, bounds the decompressed size, splits
// and decodes lines, and keeps samples of bad lines. It keeps decoder state
// between objects; use one per goroutine.
type ObjectReader struct {
	dec  Decompressor
	jd   *Decoder
	opts ObjectOptions
}

// NewObjectReader returns a reader decoding spec's fields.
func NewObjectReader(spec Spec, o ObjectOptions) *ObjectReader {
	return &ObjectReader{jd: NewDecoder(spec), opts: o}
}

// ObjectStats say how much of an object was read.
type ObjectStats struct {
	BytesRead    int64 // stored bytes read
	BytesDecoded int64 // bytes after decompression
	Rejects      []Reject
}

// DamageError reports an object whose bytes are damaged: not text or a
// known compression, a corrupt or truncated compressed stream, or over
// the size limit. The lines before the damage are in the partial; when
// Rejected, the object counts for nothing and the caller discards the
// partial. Only a clean truncation (the stored bytes end inside a gzip
// member or zstd frame, nothing in them found wrong) is not Rejected: a
// failed integrity check (gzip CRC-32 or ISIZE, zstd content checksum),
// corrupt compressed data, trailing bytes that are neither a member, a
// frame nor padding, or the size limit mean the bytes decoded before the
// failure may be wrong too.
type DamageError struct {
	Object   string
	Codec    Codec
	Offset   int64 // decompressed bytes read before the damage
	Lines    int64 // lines read before the damage
	Rejected bool  // the object counts for nothing: see the type's doc
	Head     bool  // the first bytes are not text or a stream that opens
	Err      error
}

// Reason says what is wrong with the object, without its name.
func (e *DamageError) Reason() string {
	if e.Head || e.Rejected {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s stream damaged after %d bytes: %v", e.Codec, e.Offset, e.Err)
}

func (e *DamageError) Error() string { return "damaged object " + e.Object + ": " + e.Reason() }

// Unwrap returns the underlying problem.
func (e *DamageError) Unwrap() error { return e.Err }

// SourceError is a failure of the stream an object was read from (the
// store), as opposed to damage in its bytes.
type SourceError struct {
	Object string
	Err    error
}

func (e *SourceError) Error() string { return "read " + e.Object + ": " + e.Err.Error() }

// Unwrap returns the stream's error.
func (e *SourceError) Unwrap() error { return e.Err }

// errTooLarge marks a stream over the size limit.
var errTooLarge = errors.New("decompressed size over the limit")

// Read decodes the object name from r into p. middle says r is a byte
// range after the first of a text object, which has no head of its own to
// judge. A failure of r is a *SourceError, damage in the data a
// *DamageError (with the stats of what was read), cancellation ctx's error.
func (o *ObjectReader) Read(ctx context.Context, name string, r io.Reader, p *Partial, middle bool) (ObjectStats, error) {
	raw := &CountingReader{R: r}
	var st ObjectStats
	var dr io.Reader
	var codec Codec
	var err error
	if middle {
		dr = o.dec.OpenText(raw)
	} else {
		dr, codec, err = o.dec.Open(raw)
	}
	if err != nil {
		if raw.Err != nil || ctx.Err() != nil {
			return st, sourceErr(ctx, name, raw.Err)
		}
		return st, &DamageError{Object: name, Codec: codec, Head: true, Err: err}
	}
	decoded := &CountingReader{R: &limitReader{r: dr, n: o.opts.MaxObjectBytes}}
	opts := IngestOptions{MaxLine: o.opts.MaxLine}
	if o.opts.Samples > 0 {
		opts.OnBad = func(line int64, reason Reason, b []byte) {
			if len(st.Rejects) < o.opts.Samples {
				st.Rejects = append(st.Rejects, Reject{Object: name, Line: line, Reason: reason.String(), Raw: truncate(b, 1024)})
			}
		}
	}
	err = Ingest(ctx, decoded, o.jd, p, opts)
	st.BytesRead, st.BytesDecoded = raw.N, decoded.N
	switch {
	case err == nil:
		return st, nil
	case ctx.Err() != nil:
		return st, ctx.Err()
	case raw.Err != nil:
		return st, sourceErr(ctx, name, raw.Err)
	case errors.Is(err, errTooLarge):
		return st, &DamageError{Object: name, Codec: codec, Offset: decoded.N, Rejected: true,
			Err: fmt.Errorf("decompressed size over %d bytes (--max-object-bytes)", o.opts.MaxObjectBytes)}
	}
	// Lines counts what was read before the damage, kept or not.
	return st, &DamageError{Object: name, Codec: codec, Offset: decoded.N, Lines: p.Counts.Lines,
		Rejected: !truncated(err, raw), Err: err}
}

// truncated tells a clean truncation from other damage: the decoder wanted
// more bytes (io.ErrUnexpectedEOF) after the stored stream ended, and found
// nothing wrong before that. Every integrity check, corrupt data or
// trailing garbage is another error.
func truncated(err error, raw *CountingReader) bool {
	return raw.EOF && errors.Is(err, io.ErrUnexpectedEOF)
}

func sourceErr(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &SourceError{Object: name, Err: cmp.Or(err, io.ErrUnexpectedEOF)}
}

// CountingReader counts the bytes read through it and remembers the first
// error other than io.EOF, so that a failure of the underlying stream can
// be told apart from damage in the data decoded from it.
type CountingReader struct {
	R   io.Reader
	N   int64
	Err error
	EOF bool // R returned io.EOF: the stream was read to its end
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	switch {
	case err == io.EOF:
		c.EOF = true
	case err != nil && c.Err == nil:
		c.Err = err
	}
	return n, err
}

// limitReader fails with errTooLarge past n bytes; reading n+1 tells a
// stream of exactly n bytes from a larger one.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n + int(l.n), errTooLarge
	}
	return n, err
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "\ufffd")
}
