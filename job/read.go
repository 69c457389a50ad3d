package job

import (
	"context"
	"errors"
	"io"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
)

type progressReader struct {
	r io.Reader
	p Progress
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.p.Read(int64(n))
	return n, err
}

// readUnit reads one unit's stream into p with or. Damage in the data is
// reported in the result's damaged field, with the lines before it kept
// only for a clean truncation (features.DamageError): any other damage
// rejects the object whole; a failure of the stream is a storage error.
func readUnit(ctx context.Context, or *features.ObjectReader, name string, r io.Reader, p *features.Partial, middle bool) (objectResult, error) {
	st, err := or.Read(ctx, name, r, p, middle)
	res := objectResult{partial: p, bytesRead: st.BytesRead, bytesDecoded: st.BytesDecoded, rejects: st.Rejects}
	var de *features.DamageError
	var se *features.SourceError
	switch {
	case errors.As(err, &de):
		res.damaged = &DamagedObject{URL: name, Reason: de.Reason(), Lines: de.Lines, Rejected: de.Rejected}
		if de.Rejected {
			res.damaged.Lines = 0 // none kept: the caller discards the partial
		}
		return res, nil
	case errors.As(err, &se):
		return res, failure.Storage(err)
	}
	return res, err
}
