package input

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// FuzzInputURLRoundTrip: for any key, the URL the manifest records for an
// input object parses back to the same bucket and key, or the same local
// path (see settings.FuzzLocationRoundTrip for a location's own URL).
func FuzzInputURLRoundTrip(f *testing.F) {
	for _, k := range []string{"", "a", "a/", "//", "a//b/", "/lead", "pct%20x.jsonl", "a#b", "q?x=1#f", "o u%2Ft/ü?x#y",
		" sp ace ", "ü/ä", "%", "%%25", "#", "?", "\xff\xfe", "a\x00b", "..", "../x", "./", "{yyyy}", "%{mm}#"} {
		f.Add(k)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, key string) {
		in := Object{Loc: settings.Location{Scheme: "s3", Bucket: "logs", Prefix: "other"}, Info: storage.ObjectInfo{Key: key}}
		if got, err := settings.ParseLocation(in.URL()); err != nil || got.Bucket != "logs" || got.Prefix != key {
			t.Fatalf("input url %q parses to %+v, %v; want key %q", in.URL(), got, err, key)
		}
		if strings.IndexByte(key, 0) >= 0 {
			return // no file name holds NUL
		}
		file := Object{Loc: settings.Location{Scheme: "file", Dir: dir}, Info: storage.ObjectInfo{Key: key}}
		got, err := settings.ParseLocation(file.URL())
		if want := filepath.Join(dir, key); err != nil || got.Scheme != "file" || filepath.Join(got.Dir, got.Prefix) != want {
			t.Fatalf("file url %q parses to %+v, %v; want path %q", file.URL(), got, err, want)
		}
	})
}
