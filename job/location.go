package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/logsmith/logsmith/storage"
)

// Bucket is what a run needs from a store. storage.S3 and storage.Local
// implement it.
type Bucket interface {
	// List calls fn for each object under prefix in key order.
	List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error
	// Open streams an object from offset; the caller closes it.
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Put writes an object whole or not at all, optionally conditionally.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error)
	// Delete removes an object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// Stat describes an object or fails with storage.ErrNotExist.
	Stat(ctx context.Context, key string) (storage.ObjectInfo, error)
}

// Location is a parsed input or output URL.
type Location struct {
	Scheme string // "s3", "file" or "-" (standard input)
	Bucket string // s3 only
	Dir    string // file only: the folder used as the store's root
	Prefix string // key prefix inside the bucket or folder, without leading slash
}

// String renders the location as a URL.
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
func ParseLocation(raw string) (Location, error) {
	switch {
	case raw == "-":
		return Location{Scheme: "-"}, nil
	case strings.HasPrefix(raw, "s3://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Location{}, fmt.Errorf("parse %q: %w", raw, err)
		}
		if u.Host == "" {
			return Location{}, fmt.Errorf("%q: missing bucket (want s3://bucket/prefix)", raw)
		}
		if u.User != nil {
			return Location{}, fmt.Errorf("s3 URL must not carry credentials; use LOGSMITH_S3_ACCESS_KEY and LOGSMITH_S3_SECRET_KEY")
		}
		return Location{Scheme: "s3", Bucket: u.Host, Prefix: strings.TrimPrefix(u.Path, "/")}, nil
	case strings.HasPrefix(raw, "file://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Location{}, fmt.Errorf("parse %q: %w", raw, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%q: file URLs must be file:///absolute/path", raw)
		}
		return localLocation(u.Path)
	case strings.Contains(raw, "://"):
		return Location{}, fmt.Errorf("%q: unsupported scheme (want s3://, file:// or a path)", raw)
	case raw == "":
		return Location{}, errors.New("empty location")
	}
	return localLocation(raw)
}

func localLocation(p string) (Location, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return Location{}, fmt.Errorf("resolve %q: %w", p, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.Mode().IsRegular() {
		return Location{Scheme: "file", Dir: filepath.Dir(abs), Prefix: filepath.Base(abs)}, nil
	}
	return Location{Scheme: "file", Dir: abs}, nil
}

// OpenBucket returns the store behind loc.
func OpenBucket(loc Location, s3 S3Settings) (Bucket, error) {
	switch loc.Scheme {
	case "s3":
		b, err := storage.NewS3(s3.storageConfig(), loc.Bucket)
		if err != nil {
			return nil, &kindError{KindConfig, err}
		}
		return b, nil
	case "file":
		b, err := storage.NewLocal(loc.Dir)
		if err != nil {
			return nil, storageErr(err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("no store for %q", loc)
}

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
