package settings

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// A scheme is told to logsmith in one place: an entry in schemes is read
// by URL parsing and printing, the URL shape check, the openers of inputs,
// outputs and dry runs, the overlap check, the Iceberg warehouse and the
// memory estimate, with no other switch to update. The test scheme "dir"
// is a real Local store under another name.
func TestSchemeRegistryIsTheOnePlace(t *testing.T) {
	root := t.TempDir()
	saved := schemes
	t.Cleanup(func() { schemes = saved })
	schemes = append(schemes[:len(schemes):len(schemes)], scheme{
		name: "dir", prefix: "dir://", example: "dir://name/prefix",
		parse: func(raw, rest string) (Location, error) {
			name, prefix, _ := strings.Cut(rest, "/")
			return Location{Scheme: "dir", Bucket: name, Prefix: prefix}, nil
		},
		format: func(l Location) string { return "dir://" + l.Bucket + "/" + l.Prefix },
		open: func(l Location, _ S3Settings, create bool) (objio.Backend, error) {
			if create {
				return storage.NewLocal(filepath.Join(root, l.Bucket))
			}
			return storage.OpenLocal(filepath.Join(root, l.Bucket))
		},
		warehouse: func(l Location) (string, string) { return "dir-warehouse:" + l.Bucket, "dir-catalog:" + l.Bucket },
	})

	loc, err := ParseLocation("dir://box/out/")
	if err != nil || loc != (Location{Scheme: "dir", Bucket: "box", Prefix: "out/"}) {
		t.Fatalf("parse dir://box/out/ = %+v, %v", loc, err)
	}
	if got := loc.String(); got != "dir://box/out/" {
		t.Errorf("print = %q", got)
	}
	if err := checkURLShape("dir://box/x"); err != nil {
		t.Errorf("URL shape check refuses the scheme: %v", err)
	}
	if err := checkURLShape("dir:/box/x"); err == nil || !strings.Contains(err.Error(), "dir://name/prefix") {
		t.Errorf("URL shape check of dir:/box/x = %v, want the scheme's example named", err)
	}
	if _, err := ParseLocation("gs://b/x"); err == nil || !strings.Contains(err.Error(), "dir://name/prefix") {
		t.Errorf("unsupported scheme error = %v, want dir:// among the schemes", err)
	}
	ctx := context.Background()
	open, ok := loc.Opener()
	if !ok {
		t.Fatal("no opener for dir://")
	}
	out, err := open(S3Settings{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Put(ctx, "out/k", strings.NewReader("v"), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	in, err := open(S3Settings{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := in.Stat(ctx, "out/k"); err != nil || st.Size != 1 {
		t.Errorf("the input opened through the scheme does not see the output's object: %+v, %v", st, err)
	}
	if !overlaps("dir://box/out/sub/", "dir://box/out/") || overlaps("dir://box/in/", "dir://box/out/") || overlaps("dir://other/out/", "dir://box/out/") {
		t.Error("overlap check does not use the scheme's key space")
	}
	loc, perr := ParseLocation("dir://box/out/")
	if perr != nil {
		t.Fatal(perr)
	}
	o := (&IcebergSettings{}).IcebergOptions(loc, S3Settings{})
	if o.Warehouse != "dir-warehouse:box" || o.Catalog != "dir-catalog:box" {
		t.Errorf("iceberg warehouse, catalog = %q, %q", o.Warehouse, o.Catalog)
	}
	if !loc.Remote() {
		t.Error("the memory estimate cannot tell the scheme is remote")
	}
}

// Every scheme reads back what it prints.
func TestSchemesRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, raw := range []string{"s3://logs/a b/%20#?", "s3://logs/", "file://" + filepath.ToSlash(dir) + "/x y/"} {
		sc, ok := schemeOfURL(raw)
		if !ok {
			t.Fatalf("no scheme for %q", raw)
		}
		loc, err := sc.parse(raw, raw[len(sc.prefix):])
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseLocation(loc.String())
		if err != nil || again.Scheme != loc.Scheme || again.Bucket != loc.Bucket || filepath.Join(again.Dir, again.Prefix) != filepath.Join(loc.Dir, loc.Prefix) {
			t.Errorf("%q prints as %q, which reads as %+v, %v", raw, loc.String(), again, err)
		}
	}
}
