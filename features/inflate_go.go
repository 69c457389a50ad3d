//go:build !(isal && cgo)

package features

import (
	"bufio"

	"github.com/klauspost/compress/gzip"
)

// Inflater names the gzip inflater built into the binary: "go"
// (klauspost/compress, the default) or "isal" (Intel ISA-L through cgo,
// built with -tags isal).
func Inflater() string { return "go" }

// goInflater is klauspost's gzip reader, one member at a time.
type goInflater struct {
	gz *gzip.Reader
}

func newInflater() inflater { return &goInflater{} }

func (g *goInflater) reset(br *bufio.Reader) error {
	var err error
	if g.gz == nil {
		g.gz, err = gzip.NewReader(br)
	} else {
		err = g.gz.Reset(br)
	}
	if err != nil {
		return err
	}
	g.gz.Multistream(false)
	return nil
}

func (g *goInflater) Read(p []byte) (int, error) { return g.gz.Read(p) }

func (g *goInflater) close() {}
