package features

import (
	"bufio"
	"io"
)

// inflater reads the content of one gzip member at a time. Its reset reads
// the member's header from br (errors as klauspost/compress/gzip gives
// them: io.ErrUnexpectedEOF for a cut header, gzip.ErrHeader for a bad
// one); Read then returns the member's content and io.EOF after its trailer
// was checked, leaving br at the first byte after the member. A cut member
// is io.ErrUnexpectedEOF, a bad trailer gzip.ErrChecksum, corrupt deflate
// data an error of its own; content before any of them is returned first.
//
// Two implementations exist: klauspost's pure Go inflater (the default
// build) and ISA-L's (the build tag isal, with cgo): see Inflater.
type inflater interface {
	io.Reader
	reset(br *bufio.Reader) error
	close()
}
