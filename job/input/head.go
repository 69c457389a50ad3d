package input

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
)

// Head returns the first bytes of in, decompressed by dec, at most limit,
// cut after the last whole line when the limit cut it. An object whose
// start does not decode is a *features.DamageError; a failed read, a
// storage error.
func Head(ctx context.Context, dec *features.Decompressor, in Object, limit int64) ([]byte, error) {
	rc := in.Bucket.StreamRange(ctx, in.Info, 0, -1)
	defer rc.Close()
	raw := &features.CountingReader{R: rc}
	dr, codec, err := dec.Open(raw)
	if raw.Err != nil {
		return nil, failure.Storage(fmt.Errorf("peek %s: %w", in.URL(), raw.Err))
	}
	if err != nil {
		return nil, &features.DamageError{Object: in.URL(), Codec: codec, Head: true, Err: err}
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, io.LimitReader(dr, limit+1))
	if raw.Err != nil {
		return nil, failure.Storage(fmt.Errorf("peek %s: %w", in.URL(), raw.Err))
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		data = data[:limit]
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1]
		}
	} else if err != nil && len(data) == 0 {
		return nil, &features.DamageError{Object: in.URL(), Codec: codec, Err: err}
	}
	return data, nil
}
