package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// Bucket is what a run needs from a store: exactly what its output table
// needs (see table.Bucket). storage.S3 and storage.Local implement it.
type Bucket = table.Bucket

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
	switch l.Scheme {
	case "s3":
		return "s3://" + l.Bucket + "/" + l.Prefix
	case "-":
		return "-"
	}
	return "file://" + filepath.ToSlash(filepath.Join(l.Dir, l.Prefix))
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
	case strings.HasPrefix(raw, "s3://"):
		bucket, prefix, _ := strings.Cut(raw[len("s3://"):], "/")
		if strings.Contains(bucket, "@") {
			return Location{}, errors.New("s3 URL must not carry credentials; use LOGSMITH_S3_ACCESS_KEY and LOGSMITH_S3_SECRET_KEY")
		}
		if bucket == "" {
			return Location{}, fmt.Errorf("%q: missing bucket (want s3://bucket/prefix)", raw)
		}
		if err := checkBucketName(bucket); err != nil {
			return Location{}, fmt.Errorf("%q: %w", raw, err)
		}
		return Location{Scheme: "s3", Bucket: bucket, Prefix: prefix}, nil
	case strings.HasPrefix(raw, "file://"):
		p := raw[len("file://"):]
		p, _ = strings.CutPrefix(p, "localhost")
		if !strings.HasPrefix(p, "/") {
			return Location{}, fmt.Errorf("%q: file URLs must be file:///absolute/path", raw)
		}
		return localLocation(p)
	}
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		return Location{}, fmt.Errorf("%q: unsupported scheme %q (want s3://, file:// or a path)", raw, raw[:i])
	}
	return localLocation(raw)
}

// isScheme reports whether s has the form of a URL scheme (RFC 3986: a
// letter, then letters, digits, '+', '-' or '.'), so that a path such as
// ./a://b is a path while gs://b or S3://b is refused, not read locally.
func isScheme(s string) bool {
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// checkBucketName applies the S3 naming rules for general purpose buckets:
// 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with
// a letter or digit, no "..", not an IP address, and none of the reserved
// prefixes and suffixes.
func checkBucketName(b string) error {
	bad := func(why string) error { return fmt.Errorf("bucket name %q: %s", b, why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("want 3 to 63 characters")
	}
	for _, c := range []byte(b) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("want lowercase letters, digits, '.' and '-' only")
		}
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	switch {
	case !alnum(b[0]) || !alnum(b[len(b)-1]):
		return bad("must start and end with a letter or digit")
	case strings.Contains(b, ".."):
		return bad("must not hold \"..\"")
	case net.ParseIP(b) != nil:
		return bad("must not be an IP address")
	case strings.HasPrefix(b, "xn--") || strings.HasPrefix(b, "sthree-"):
		return bad("reserved prefix")
	case strings.HasSuffix(b, "-s3alias") || strings.HasSuffix(b, "--ol-s3"):
		return bad("reserved suffix")
	}
	return nil
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

// inputLocation parses an input URL. Both backends follow one rule (see
// resolveInputs): a URL ending in '/' is a folder; one without it names the
// folder of that name when there is one, else it is a name prefix read byte
// for byte (s3://b/logs/app reads logs/app.jsonl when there is no
// logs/app/, and so does ./logs/app). A local path that exists is the
// folder or the one file it names; one that does not is a name prefix in
// its parent folder. An S3 URL's folder is told by the listing.
func inputLocation(raw string) (Location, error) {
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
	loc, err := inputLocation(fixed)
	if err != nil || loc.Scheme == "-" {
		return keySpace{}, false
	}
	if loc.Scheme == "s3" {
		return keySpace{"s3", loc.Bucket, loc.Prefix}, true
	}
	p := realPath(filepath.Join(loc.Dir, loc.Prefix))
	if (templated && strings.HasSuffix(fixed, "/")) || (!templated && loc.Prefix == "") {
		p = strings.TrimSuffix(p, "/") + "/" // a folder, not a name prefix
	}
	return keySpace{"file", "", p}, true
}

// outputSpace returns the keys a run writes under output.
func outputSpace(output string) (keySpace, bool) {
	loc, err := ParseLocation(output)
	if err != nil || loc.Scheme == "-" {
		return keySpace{}, false
	}
	if loc.Scheme == "s3" {
		return keySpace{"s3", loc.Bucket, loc.Key("")}, true
	}
	return keySpace{"file", "", strings.TrimSuffix(realPath(filepath.Join(loc.Dir, loc.Prefix)), "/") + "/"}, true
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

// OpenInput returns the store behind an input location, to read from, its
// calls retried under p. A local folder is never created: a run does not
// write to its input, and a missing folder (a day with no logs yet) holds
// no object, as a missing S3 prefix does.
func OpenInput(loc Location, s3 S3Settings, p objio.Policy) (*objio.Bucket, error) {
	b, err := openExisting(loc, s3)
	if err != nil {
		return nil, err
	}
	return objio.New(b, p), nil
}

// openExisting opens the store of loc without creating anything: a
// missing local folder is an empty store.
func openExisting(loc Location, s3 S3Settings) (objio.Backend, error) {
	if loc.Scheme == "s3" {
		b, err := storage.NewS3(s3.storageConfig(), loc.Bucket)
		if err != nil {
			return nil, &kindError{KindBadSetting, err}
		}
		return b, nil
	}
	if loc.Scheme != "file" {
		return nil, fmt.Errorf("no store for %q", loc)
	}
	b, err := storage.OpenLocal(loc.Dir)
	if errors.Is(err, storage.ErrNotExist) {
		return missingFolder{loc.Dir}, nil
	}
	if err != nil {
		return nil, storageErr(err)
	}
	return b, nil
}

// missingFolder is a local input folder that does not exist.
type missingFolder struct{ dir string }

func (m missingFolder) List(context.Context, string, func(storage.ObjectInfo) error) error {
	return nil
}

func (m missingFolder) Open(_ context.Context, key string, _ int64) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %s in %s: %w", key, m.dir, storage.ErrNotExist)
}

func (m missingFolder) OpenListed(_ context.Context, info storage.ObjectInfo, _, _ int64) (io.ReadCloser, error) {
	return nil, fmt.Errorf("open %s in %s: %w", info.Key, m.dir, storage.ErrNotExist)
}

func (m missingFolder) Stat(_ context.Context, key string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("stat %s in %s: %w", key, m.dir, storage.ErrNotExist)
}

func (m missingFolder) Put(_ context.Context, key string, _ io.Reader, _ int64, _ storage.PutOptions) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("put %s: input folder %s is not written to", key, m.dir)
}

func (m missingFolder) Delete(context.Context, string) error { return nil }

// OpenBucket returns the store behind loc, its calls retried under p,
// creating a local folder: it is for outputs.
func OpenBucket(loc Location, s3 S3Settings, p objio.Policy) (*objio.Bucket, error) {
	switch loc.Scheme {
	case "s3":
		b, err := storage.NewS3(s3.storageConfig(), loc.Bucket)
		if err != nil {
			return nil, &kindError{KindBadSetting, err}
		}
		return objio.New(b, p), nil
	case "file":
		b, err := storage.NewLocal(loc.Dir)
		if err != nil {
			return nil, storageErr(err)
		}
		return objio.New(b, p), nil
	}
	return nil, fmt.Errorf("no store for %q", loc)
}

// defaultPolicy retries the storage calls of commands without retry
// settings (ls, show, files, gc, generate) as a run does by default.
var defaultPolicy = objio.Policy{Deadline: 2 * time.Minute, Attempt: 4 * time.Minute, Idle: time.Minute}

func (s S3Settings) storageConfig() storage.S3Config {
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
