//go:build isal && cgo

package features

import (
	"bufio"
	"errors"

	"github.com/klauspost/compress/gzip"

	"github.com/logsmith/logsmith/features/internal/isal"
)

// Inflater names the gzip inflater built into the binary: "go"
// (klauspost/compress, the default) or "isal" (Intel ISA-L through cgo,
// built with -tags isal).
func Inflater() string { return "isal" }

// isalInflater reads a member's header with klauspost's gzip reader, so a
// bad or cut header is the same error in both builds, then its deflate data
// and trailer with ISA-L.
type isalInflater struct {
	hdr  *gzip.Reader
	body isal.Reader
}

func newInflater() inflater { return &isalInflater{} }

func (z *isalInflater) reset(br *bufio.Reader) error {
	var err error
	if z.hdr == nil {
		z.hdr, err = gzip.NewReader(br)
	} else {
		err = z.hdr.Reset(br)
	}
	if err != nil {
		return err
	}
	z.body.Reset(br)
	return nil
}

func (z *isalInflater) Read(p []byte) (int, error) {
	n, err := z.body.Read(p)
	if errors.Is(err, isal.ErrChecksum) {
		err = gzip.ErrChecksum
	}
	return n, err
}

func (z *isalInflater) close() {}
