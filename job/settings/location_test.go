package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Keys are bytes: an s3:// URL names its bucket up to the first '/' and the
// rest, verbatim, is the key prefix. Nothing is percent-decoded and nothing
// is cut at '?' or '#'.
func TestParseLocationS3KeysAreVerbatim(t *testing.T) {
	for _, tc := range []struct{ raw, bucket, prefix string }{
		{"s3://logs/sp/pct%20x.jsonl", "logs", "sp/pct%20x.jsonl"},
		{"s3://logs/sp/a#b", "logs", "sp/a#b"},
		{"s3://logs/o u%2Ft/ü?x#y", "logs", "o u%2Ft/ü?x#y"},
		{"s3://logs/a?b=c", "logs", "a?b=c"},
		{"s3://logs/{yyyy}/%{mm}#/", "logs", "{yyyy}/%{mm}#/"},
		{"s3://logs", "logs", ""},
		{"s3://logs/", "logs", ""},
		{"s3://logs//x//", "logs", "/x//"},
		{"s3://my.bucket-1/a b/", "my.bucket-1", "a b/"},
	} {
		loc, err := ParseLocation(tc.raw)
		if err != nil {
			t.Errorf("%q: %v", tc.raw, err)
			continue
		}
		if loc.Scheme != "s3" || loc.Bucket != tc.bucket || loc.Prefix != tc.prefix {
			t.Errorf("%q = %+v, want bucket %q prefix %q", tc.raw, loc, tc.bucket, tc.prefix)
		}
	}
}

func TestParseLocationRefuses(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "empty"},
		{"s3://", "missing bucket"},
		{"s3:///x", "missing bucket"},
		{"s3://user:pw@logs/x", "credentials"},
		{"s3://Logs/x", "lowercase"},
		{"s3://ab/x", "3 to 63"},
		{"s3://" + strings.Repeat("a", 64) + "/x", "3 to 63"},
		{"s3://logs?x=1", "lowercase"},
		{"s3://logs#frag", "lowercase"},
		{"s3://logs%2fx/y", "lowercase"},
		{"s3://-logs/x", "start and end"},
		{"s3://logs-/x", "start and end"},
		{"s3://lo..gs/x", `".."`},
		{"s3://192.168.1.10/x", "IP address"},
		{"s3://xn--logs/x", "reserved"},
		{"s3://logs-s3alias/x", "reserved"},
		{"gs://logs/x", "unsupported scheme"},
		{"S3://logs/x", "unsupported scheme"},
		{"http://example.com/x", "unsupported scheme"},
		{"file://host/x", "file:///absolute/path"},
		{"file://x", "file:///absolute/path"},
		{"file://localhostx/y", "file:///absolute/path"},
	} {
		if _, err := ParseLocation(tc.raw); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one saying %q", tc.raw, err, tc.want)
		}
	}
}

// file:// URLs and plain paths are local paths taken byte for byte.
func TestParseLocationLocalVerbatim(t *testing.T) {
	dir := t.TempDir()
	names := []string{"pct x.jsonl", "pct%20x.jsonl", "a#b", "q?x=1", "ü"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("{}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		for _, raw := range []string{"file://" + dir + "/" + n, "file://localhost" + dir + "/" + n, dir + "/" + n} {
			loc, err := ParseLocation(raw)
			if err != nil {
				t.Fatalf("%q: %v", raw, err)
			}
			if loc.Scheme != "file" || loc.Dir != dir || loc.Prefix != n {
				t.Errorf("%q = %+v, want dir %q prefix %q", raw, loc, dir, n)
			}
		}
	}
	// A folder that does not exist yet (an output): the whole path, verbatim.
	out := dir + "/o u%2Ft/ü?x#y"
	loc, err := ParseLocation("file://" + out)
	if err != nil || loc.Dir != out || loc.Prefix != "" {
		t.Errorf("file://%s = %+v, %v; want dir %q", out, loc, err, out)
	}
	// "://" inside a path is not a scheme.
	loc, err = ParseLocation(dir + "/a://b")
	if err != nil || loc.Dir != dir+"/a:/b" {
		t.Errorf("path with :// = %+v, %v", loc, err)
	}
}

// FuzzLocationRoundTrip: for any key, the URL a Location renders parses back to the same
// bucket and key, or the same local path; template expansion leaves the key
// bytes around the placeholder alone.
func FuzzLocationRoundTrip(f *testing.F) {
	for _, k := range []string{"", "a", "a/", "//", "a//b/", "/lead", "pct%20x.jsonl", "a#b", "q?x=1#f", "o u%2Ft/ü?x#y",
		" sp ace ", "ü/ä", "%", "%%25", "#", "?", "\xff\xfe", "a\x00b", "..", "../x", "./", "{yyyy}", "%{mm}#"} {
		f.Add(k)
	}
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, key string) {
		s3 := Location{Scheme: "s3", Bucket: "logs", Prefix: key}
		if got, err := ParseLocation(s3.String()); err != nil || got != s3 {
			t.Fatalf("ParseLocation(%q) = %+v, %v; want %+v", s3.String(), got, err, s3)
		}
		if !IsTemplate(key) {
			tmpl := Location{Scheme: "s3", Bucket: "logs", Prefix: key + "{date}/" + key}.String()
			want := key + "2025-11-08/" + key
			if got, err := ParseLocation(ExpandTemplate(tmpl, day)); err != nil || got.Prefix != want {
				t.Fatalf("template %q expands to %+v, %v; want prefix %q", tmpl, got, err, want)
			}
		}
	})
}
