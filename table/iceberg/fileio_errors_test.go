package iceberg_test

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	iceio "github.com/apache/iceberg-go/io"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table/iceberg"
)

// notExistKeys are object names whose text an error message repeats: some
// hold what an error classifier that reads text would take for "not found"
// (gocloud's S3 driver before v0.49 took any error whose text held "301"
// for a missing bucket, so a TLS error on a metadata file whose random
// name held "301" read as "file does not exist").
var notExistKeys = []string{
	"lake/metadata/00001-5e301a77.metadata.json",
	"lake/301/x.parquet",
	"lake/404/NoSuchKey/NotFound/NoSuchBucket.avro",
	"lake/plain.json",
}

// TestWarehouseErrorsAreNotNotExist checks the class "an S3 failure that
// is not a missing object, whatever the key and the message hold": read,
// open, stat and remove through the warehouse's file IO must fail with an
// error that is not fs.ErrNotExist when the server is unreachable, does
// not trust us (TLS without the CA) or refuses our credentials. The table
// code reads ErrNotExist as an answer (a file gone, a metadata file no
// longer there), never as a fault. A missing object on a reachable server
// stays ErrNotExist, so the check cannot pass by saying nothing is.
func TestWarehouseErrorsAreNotNotExist(t *testing.T) {
	// One attempt per request: the SDK's retries of a refused or
	// untrusted connection only make the test slow.
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	ctx := context.Background()
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{TLS: true})
	good := m.Config()
	b, err := storage.NewS3(good, "wh301")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	sqlite := "sqlite://" + filepath.Join(t.TempDir(), "c.db")
	ioFor := func(t *testing.T, s3 storage.S3Config) iceio.IO {
		t.Helper()
		o := iceberg.Options{Catalog: sqlite, Warehouse: "s3://wh301/lake", S3: s3}
		c := open(t, o)
		io, err := c.WarehouseIO(ctx, o, "s3://wh301/lake")
		if err != nil {
			t.Fatal(err)
		}
		return io
	}

	down := good
	down.Endpoint = storagetest.ClosedAddr(t)
	down.CAFile = ""
	down.Insecure = true
	untrusted := good
	untrusted.CAFile = ""
	badKey := good
	badKey.SecretKey = "not-the-secret-301"
	for _, tc := range []struct {
		name string
		s3   storage.S3Config
		want string // in the error text
	}{
		{"server down", down, "refused"},
		{"CA not trusted", untrusted, "certificate"},
		{"wrong secret", badKey, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := ioFor(t, tc.s3)
			for _, key := range notExistKeys {
				for op, err := range ops(fsys, "s3://wh301/"+key) {
					if err == nil {
						t.Errorf("%s %s: no error", op, key)
						continue
					}
					if errors.Is(err, fs.ErrNotExist) {
						t.Errorf("%s %s: a fault reads as a missing file: %v", op, key, err)
					}
					if !strings.Contains(err.Error(), tc.want) {
						t.Errorf("%s %s: %v, want it to say %q", op, key, err, tc.want)
					}
				}
			}
		})
	}
	t.Run("missing object", func(t *testing.T) {
		fsys := ioFor(t, good)
		for _, key := range notExistKeys {
			for op, err := range ops(fsys, "s3://wh301/"+key) {
				if op == "remove" {
					continue // S3 deletes of a missing key succeed
				}
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s %s: %v, want ErrNotExist", op, key, err)
				}
			}
		}
	})
}

// ops runs read, open, stat and remove of url on fsys and yields each
// operation's error.
func ops(fsys iceio.IO, url string) func(yield func(string, error) bool) {
	return func(yield func(string, error) bool) {
		_, err := fsys.(iceio.ReadFileIO).ReadFile(url)
		if !yield("read", err) {
			return
		}
		f, err := fsys.Open(url)
		if err == nil {
			f.Close()
		}
		if !yield("open", err) {
			return
		}
		if st, ok := fsys.(interface {
			Stat(string) (fs.FileInfo, error)
		}); ok {
			_, err = st.Stat(url)
			if !yield("stat", err) {
				return
			}
		}
		yield("remove", fsys.Remove(url))
	}
}
