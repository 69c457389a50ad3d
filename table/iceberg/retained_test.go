package iceberg

import (
	"io/fs"
	"testing"

	iceio "github.com/apache/iceberg-go/io"
)

// notFoundIO is a file IO whose Open reports every file missing and whose
// Remove removes: what iceberg-go's S3 FileIO does when gocloud takes a
// fault for "not found" (a proxy's 404, an error body naming NoSuchKey
// under a 500) on the read only. A fake because MinIO, the S3 server the
// other tests run against, answers neither.
type notFoundIO struct{ removed []string }

func (f *notFoundIO) Open(name string) (iceio.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (f *notFoundIO) Remove(name string) error {
	f.removed = append(f.removed, name)
	return nil
}

// A metadata file the IO says is missing is kept, never read as "lists no
// retained snapshot" and removed: the orphan collection deletes only a
// metadata file it has read.
func TestMissingMetadataIsKept(t *testing.T) {
	io := &notFoundIO{}
	keep, err := listsRetained(io, "s3://wh/t/metadata/00007-5e301a77.metadata.json", map[int64]bool{7: true})
	if err != nil || !keep {
		t.Fatalf("listsRetained of a file reported missing: keep %v, %v; want it kept", keep, err)
	}
}
