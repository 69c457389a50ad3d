package settings

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// scheme is everything logsmith knows of one kind of location, in one
// place: how its URL reads and prints, how its store opens with the
// credentials of the settings, whether it is local, and where an Iceberg
// warehouse on it lives. A new storage backend is one more entry in
// schemes (see docs/architecture.md, "Where to add").
type scheme struct {
	name   string // Location.Scheme: "s3", "file"
	prefix string // how its URLs start: "s3://"
	// example shows the form of its URLs in messages.
	example string
	// parse reads a URL that starts with prefix; rest is what follows it.
	parse func(raw, rest string) (Location, error)
	// format renders a location as a URL parse reads back.
	format func(l Location) string
	// open opens the store of l with the settings' credentials. create
	// says whether a missing local folder is created (an output) or is an
	// empty store (an input, a dry run's output).
	open func(l Location, s3 S3Settings, create bool) (objio.Backend, error)
	// warehouse is the Iceberg warehouse of an output at l, and the
	// catalog a run uses there when none is set ("" for none).
	warehouse func(l Location) (warehouse, catalog string)
	// local says its locations are paths on this machine (a folder and
	// a prefix in it, compared with symlinks resolved), not keys in a
	// bucket across a network, which are worth reading ahead.
	local bool
}

// schemes are the kinds of location logsmith reads and writes. A plain
// local path, or "-" for standard input, needs no scheme.
var schemes = []scheme{
	{
		name: "s3", prefix: "s3://", example: "s3://bucket/prefix",
		parse: func(raw, rest string) (Location, error) {
			bucket, prefix, _ := strings.Cut(rest, "/")
			if strings.Contains(bucket, "@") {
				return Location{}, errors.New("s3 URL must not carry credentials; use LOGSMITH_S3_ACCESS_KEY and LOGSMITH_S3_SECRET_KEY")
			}
			if bucket == "" {
				return Location{}, fmt.Errorf("%q: missing bucket (want s3://bucket/prefix)", raw)
			}
			if err := storage.CheckBucketName(bucket); err != nil {
				return Location{}, fmt.Errorf("%q: %w", raw, err)
			}
			return Location{Scheme: "s3", Bucket: bucket, Prefix: prefix}, nil
		},
		format: func(l Location) string { return "s3://" + l.Bucket + "/" + l.Prefix },
		open: func(l Location, s3 S3Settings, _ bool) (objio.Backend, error) {
			b, err := storage.NewS3(s3.StorageConfig(), l.Bucket)
			if err != nil {
				return nil, &StoreConfigError{err}
			}
			return b, nil
		},
		warehouse: func(l Location) (string, string) {
			return "s3://" + l.Bucket + "/" + strings.TrimSuffix(l.Prefix, "/"), ""
		},
	},
	{
		name: "file", prefix: "file://", example: "file:///dir", local: true,
		parse: func(raw, rest string) (Location, error) {
			p, _ := strings.CutPrefix(rest, "localhost")
			if !strings.HasPrefix(p, "/") {
				return Location{}, fmt.Errorf("%q: file URLs must be file:///absolute/path", raw)
			}
			return localLocation(p)
		},
		format: func(l Location) string { return "file://" + filepath.ToSlash(filepath.Join(l.Dir, l.Prefix)) },
		open: func(l Location, _ S3Settings, create bool) (objio.Backend, error) {
			if create {
				b, err := storage.NewLocal(l.Dir)
				if err != nil {
					return nil, err
				}
				return b, nil
			}
			b, err := storage.OpenLocal(l.Dir)
			if errors.Is(err, storage.ErrNotExist) {
				return storage.MissingFolder{Dir: l.Dir}, nil
			}
			if err != nil {
				return nil, err
			}
			return b, nil
		},
		warehouse: func(l Location) (string, string) {
			dir := filepath.Join(l.Dir, l.Prefix)
			return dir, "sqlite://" + filepath.ToSlash(filepath.Join(dir, "_catalog.db"))
		},
	},
}

// space is the keys under l: all of them when folder is set (the location
// is a folder), else every key its prefix starts.
func (sc scheme) space(l Location, folder bool) keySpace {
	if !sc.local {
		if folder {
			return keySpace{sc.name, l.Bucket, l.Key("")}
		}
		return keySpace{sc.name, l.Bucket, l.Prefix}
	}
	p := realPath(filepath.Join(l.Dir, l.Prefix))
	if folder {
		p = strings.TrimSuffix(p, "/") + "/"
	}
	return keySpace{sc.name, "", p}
}

// schemeNamed returns the scheme of a parsed location; ok is false for
// standard input.
func schemeNamed(name string) (scheme, bool) {
	for _, s := range schemes {
		if s.name == name {
			return s, true
		}
	}
	return scheme{}, false
}

// schemeOfURL returns the scheme a URL starts with; ok is false for a
// local path or standard input.
func schemeOfURL(raw string) (scheme, bool) {
	for _, s := range schemes {
		if strings.HasPrefix(raw, s.prefix) {
			return s, true
		}
	}
	return scheme{}, false
}

// schemeExamples names the schemes' URL forms for messages.
func schemeExamples() string {
	var es []string
	for _, s := range schemes {
		es = append(es, s.example)
	}
	return strings.Join(es, " or ")
}

// Remote reports whether l's store is across a network, where reading
// ahead pays (S3), and not a local folder or standard input.
func (l Location) Remote() bool {
	sc, ok := schemeNamed(l.Scheme)
	return ok && !sc.local
}

// Opener returns the opener of l's scheme: it opens the store of l with
// the S3 settings' credentials, creating a missing local folder when
// create is set (an output) or taking it for an empty store (an input, a
// dry run's output). Its errors are the store's, or a *StoreConfigError
// when the settings cannot reach a store at all. ok is false for standard
// input, which has no store.
func (l Location) Opener() (open func(s3 S3Settings, create bool) (objio.Backend, error), ok bool) {
	sc, ok := schemeNamed(l.Scheme)
	if !ok {
		return nil, false
	}
	return func(s3 S3Settings, create bool) (objio.Backend, error) { return sc.open(l, s3, create) }, true
}

// StoreConfigError is a store that the settings cannot open at all, such
// as an S3 endpoint that is no URL or a CA file that cannot be read: a
// setting to fix. Its message is the store's.
type StoreConfigError struct{ Err error }

func (e *StoreConfigError) Error() string { return e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreConfigError) Unwrap() error { return e.Err }
