package job

import (
	"io"
	"os"

	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// stdinInput returns standard input (r, or os.Stdin when nil) as an input:
// a store holding one object (storage.Pipe).
func stdinInput(r io.Reader, p objio.Policy) input {
	if r == nil {
		r = os.Stdin
	}
	b := objio.New(storage.NewPipe(r), p)
	return input{bucket: b, loc: settings.Location{Scheme: "-"}, info: storage.ObjectInfo{Key: storage.PipeKey, Size: -1}}
}
