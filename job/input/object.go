package input

import (
	"io"
	"os"
	"path"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// Object is one object to read, with the bucket and location it is in.
type Object struct {
	Bucket *objio.Bucket
	Loc    settings.Location
	Info   storage.ObjectInfo
	// ListedNear says whether the runs of the dates before and after a
	// dated run's list this object too (a template's folder both read, or
	// an input without a template): then their events in it are theirs.
	ListedNear [2]bool
	// FolderDate is the UTC date a templated input's folder of this
	// object covers, when it covers one: whose input the object is when
	// none of its lines says (job/quality's Attribute).
	FolderDate string
}

// URL names the object as the manifest records it: a URL that
// ParseLocation reads back to exactly this bucket and key.
func (in Object) URL() string {
	loc := in.Loc
	loc.Prefix = in.Info.Key
	return loc.String()
}

// Stdin returns standard input (r, or os.Stdin when nil) as an input:
// a store holding one object (storage.Pipe).
func Stdin(r io.Reader, p objio.Policy) Object {
	if r == nil {
		r = os.Stdin
	}
	b := objio.New(storage.NewPipe(r), p)
	return Object{Bucket: b, Loc: settings.Location{Scheme: "-"}, Info: storage.ObjectInfo{Key: storage.PipeKey, Size: -1}}
}

// UnlistedNear returns the events of the dates either side that c counted
// in the object and that date's run does not list.
func (in Object) UnlistedNear(c *features.Counts) [2]int64 {
	var n [2]int64
	for k, v := range [2]int64{c.Before, c.After} {
		if !in.ListedNear[k] {
			n[k] = v
		}
	}
	return n
}

// Reasons an object listed under the input is not read.
const (
	// SkipHidden: a segment of its key below the input prefix starts
	// with '_' or '.', as Spark's _SUCCESS and _temporary/, Hadoop's
	// .part-0.crc, macOS's .DS_Store; Hadoop's and Spark's readers skip
	// them too. --read-hidden reads them.
	SkipHidden = "hidden"
	// SkipChecksum: its name ends in .crc (a Hadoop checksum file, whose
	// bytes are not logs). --read-hidden reads them.
	SkipChecksum = "checksum"
	// SkipFolderMarker: an empty object whose key ends in '/', which S3
	// consoles and tools create to show a folder. It holds no byte, so
	// skipping it loses nothing; an object ending in '/' with bytes is
	// read like any other.
	SkipFolderMarker = "folder_marker"
)

// skipReason says why the object key of size bytes, listed under prefix
// (the input's prefix, or a template's expanded prefix), is skipped, or ""
// when it is read. Only the part of the key below the prefix counts: a
// user who names s3://b/_raw/ or ./.cache/logs/ means it. A key that is the
// prefix itself names one object, which is read whatever its name (a file
// given as the input, s3://b/x/.hidden.jsonl), unless it is an empty
// folder marker.
func skipReason(prefix, key string, size int64) string {
	if size == 0 && strings.HasSuffix(key, "/") {
		return SkipFolderMarker
	}
	if key == prefix || !strings.HasPrefix(key, prefix) {
		return ""
	}
	segs := strings.Split(key[len(prefix):], "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		// The first segment goes on with a name the prefix began (logs/app
		// lists logs/app.jsonl and logs/app/x): its start is the user's.
		segs = segs[1:]
	}
	for _, s := range segs {
		if strings.HasPrefix(s, "_") || strings.HasPrefix(s, ".") {
			return SkipHidden
		}
	}
	if strings.HasSuffix(path.Base(key), ".crc") {
		return SkipChecksum
	}
	return ""
}
