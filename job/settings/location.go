package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/logsmith/logsmith/storage"
)

// Location is a parsed input or output URL.
type Location struct {
	Scheme string // "s3", "file" or "-" (standard input)
	Bucket string // s3 only
	Dir    string // file only: the folder used as the store's root
	Prefix string // key prefix inside the bucket or folder, byte for byte
	// File: a local path that names a file: the location is that one
	// object (Prefix), not every key it is a prefix of.
	File bool
}

// String renders the location as a URL that ParseLocation reads back to
// the same bucket and key prefix, or the same local path: keys are written
// verbatim, since logsmith's URLs are never percent-decoded.
func (l Location) String() string {
	if l.Scheme == "-" {
		return "-"
	}
	sc, ok := schemeNamed(l.Scheme)
	if !ok {
		sc, _ = schemeNamed("file")
	}
	return sc.format(l)
}

// Key joins the location's prefix and a relative key.
func (l Location) Key(rel string) string {
	if l.Prefix == "" {
		return rel
	}
	return strings.TrimSuffix(l.Prefix, "/") + "/" + rel
}

// ParseLocation parses s3://bucket/prefix, file:///abs/path, a plain local
// path, or "-" for standard input. A local path that names an existing
// file becomes its folder plus the file name as prefix.
//
// Everything after the bucket (or after file://) is taken byte for byte:
// object keys may hold any byte, so there is no percent-decoding, no query
// and no fragment. s3://b/a%20b#c names the prefix "a%20b#c" and nothing
// else.
func ParseLocation(raw string) (Location, error) {
	switch {
	case raw == "-":
		return Location{Scheme: "-"}, nil
	case raw == "":
		return Location{}, errors.New("empty location")
	}
	if sc, ok := schemeOfURL(raw); ok {
		return sc.parse(raw, raw[len(sc.prefix):])
	}
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		return Location{}, fmt.Errorf("%q: unsupported scheme %q (want %s, or a path)", raw, raw[:i], schemeExamples())
	}
	return localLocation(raw)
}

// isScheme reports whether s has the form of a URL scheme (RFC 3986: a
// letter, then letters, digits, '+', '-' or '.'), so that a path such as
// ./a://b is a path while gs://b or S3://b is refused, not read locally.
func isScheme(s string) bool {
	for i := range len(s) {
		if !schemeByte(s[i], i == 0) {
			return false
		}
	}
	return s != ""
}

func localLocation(p string) (Location, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Location{}, fmt.Errorf("resolve %q: %w", p, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.Mode().IsRegular() {
		return Location{Scheme: "file", Dir: filepath.Dir(abs), Prefix: filepath.Base(abs), File: true}, nil
	}
	return Location{Scheme: "file", Dir: abs}, nil
}

// InputLocation parses an input URL. Both backends follow one rule (see
// resolveInputs): a URL ending in '/' is a folder; one without it names the
// folder of that name when there is one, else it is a name prefix read byte
// for byte (s3://b/logs/app reads logs/app.jsonl when there is no
// logs/app/, and so does ./logs/app). A local path that exists is the
// folder or the one file it names; one that does not is a name prefix in
// its parent folder. An S3 URL's folder is told by the listing.
func InputLocation(raw string) (Location, error) {
	loc, err := ParseLocation(raw)
	if err != nil || loc.Scheme != "file" || loc.File || strings.HasSuffix(raw, "/") {
		return loc, err
	}
	if _, err := os.Stat(loc.Dir); err == nil {
		return loc, nil
	}
	parent := filepath.Dir(loc.Dir)
	if base := filepath.Base(loc.Dir); parent != loc.Dir && base != "." && base != ".." {
		return Location{Scheme: "file", Dir: parent, Prefix: base}, nil
	}
	return loc, nil
}

// keySpace is every key (or local path) starting with prefix, in one bucket
// or on the local file system.
type keySpace struct {
	scheme, bucket, prefix string
}

// inputSpace returns the keys a run (any run, for a templated input) may
// read: everything under the part of the URL before the first placeholder.
// ok is false for standard input or a URL that does not parse.
func inputSpace(input string) (keySpace, bool) {
	fixed, templated := templateFixed(input), IsTemplate(input)
	if fixed == "" {
		fixed = "./" // a relative template starting with a placeholder
	}
	loc, err := InputLocation(fixed)
	sc, ok := schemeNamed(loc.Scheme)
	if err != nil || !ok {
		return keySpace{}, false
	}
	// A folder, not a name prefix:
	folder := (templated && strings.HasSuffix(fixed, "/")) || (!templated && loc.Prefix == "")
	return sc.space(loc, folder), true
}

// outputSpace returns the keys a run writes under output.
func outputSpace(output string) (keySpace, bool) {
	loc, err := ParseLocation(output)
	sc, ok := schemeNamed(loc.Scheme)
	if err != nil || !ok {
		return keySpace{}, false
	}
	return sc.space(loc, true), true
}

// overlaps reports whether a run writing to output may list some of what it
// wrote as input, now or on a later date: whether a key is in both spaces.
func overlaps(input, output string) bool {
	in, ok1 := inputSpace(input)
	out, ok2 := outputSpace(output)
	return ok1 && ok2 && in.scheme == out.scheme && in.bucket == out.bucket &&
		(strings.HasPrefix(in.prefix, out.prefix) || strings.HasPrefix(out.prefix, in.prefix))
}

// realPath resolves the symlinks of the longest existing folder of the
// absolute path p, so that two names of one folder compare equal.
func realPath(p string) string {
	rest := ""
	for dir := p; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if dir == filepath.Dir(dir) {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// StorageConfig returns the settings as the S3 backend takes them.
func (s S3Settings) StorageConfig() storage.S3Config {
	return storage.S3Config{
		Endpoint:  s.Endpoint,
		Region:    s.Region,
		AccessKey: s.AccessKey,
		SecretKey: s.SecretKey,
		Insecure:  s.Insecure,
		CAFile:    s.CAFile,
		// logsmith retries with its own deadline and resumes reads; keep
		// minio-go's own retries few so a dead store fails fast.
		MaxRetries: 2,
		Timeout:    s.Timeout,
	}
}
