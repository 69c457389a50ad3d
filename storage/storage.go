package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors, wrapped by every backend; test them with errors.Is.
var (
	// ErrNotExist means the object (or the bucket holding it) does not exist.
	ErrNotExist = errors.New("object does not exist")
	// ErrPermission means the store refused the credentials or the access.
	ErrPermission = errors.New("access denied")
	// ErrPrecondition means a conditional write found the object changed,
	// or a read pinned to a listed version (OpenListed) found the object
	// changed since it was listed.
	ErrPrecondition = errors.New("precondition failed")
	// ErrInvalidKey means a key cannot name an object in this backend.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrSize means a write's body held fewer or more bytes than the size
	// it was given; nothing was written, and the same body would fail
	// again.
	ErrSize = errors.New("body length is not the size given")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key      string
	Size     int64
	ETag     string // opaque; changes whenever the content may have changed
	Modified time.Time
	// VersionID names this version of the object on a versioned bucket;
	// empty elsewhere. Set by Put and Stat.
	VersionID string
	// FileID names the file itself, whatever its name: its device and
	// inode, which its hard links share. Set by Local's List and Stat;
	// empty elsewhere.
	FileID string
}

// PutOptions make a write conditional. The zero value writes unconditionally.
type PutOptions struct {
	// IfMatch, when set, writes only if the object's current ETag equals it.
	IfMatch string
	// IfNoneMatch writes only if no object exists under the key.
	IfNoneMatch bool
	// ContentType is stored with the object where the backend supports it.
	ContentType string
}

// Upload is a write begun with Begin and ended by Complete or Abort. Its ID
// is a token no other write shares: once Abort(u) has returned, no
// Complete(u) can ever land, whoever issued it and however late. A write
// whose ID was recorded before the write (as a claim records it) can thus
// be fenced off by whoever reads that record, whatever the object's ETag.
type Upload struct {
	Key string `json:"key"`
	ID  string `json:"id"`
}

// Store is the contract every backend meets: objects named by keys in a
// flat namespace, listed by prefix. [S3] and [Local] implement it, and so
// does objio.Bucket, which retries their calls; storagetest.Run checks a
// backend against it. Consumers declare the part they need by embedding.
//
// Keys are bytes: a backend never decodes, trims or folds one, so two
// keys that differ are two objects. A key a backend cannot store (see each
// backend) fails every method with ErrInvalidKey, or for Put with
// ErrPermission where the backend says so; it is never stored under
// another name.
type Store interface {
	// List calls fn for each object whose key starts with prefix, in key
	// order, and stops at and returns the first error fn returns. A
	// prefix under which nothing is stored lists nothing: no error.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Open returns a stream of the object's bytes from offset on; an
	// offset at or past the end gives an empty stream. A missing object
	// (or a key naming a folder, or one under an object) fails here with
	// ErrNotExist, not on the first read. The caller closes the stream.
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Put stores the size bytes read from r under key (size < 0: all of
	// r), replacing any object there. The object appears whole or not at
	// all: when ctx is cancelled, r fails, or r holds fewer or more bytes
	// than size (ErrSize), Put fails and the key holds what it held
	// before. With
	// opts.IfMatch or opts.IfNoneMatch the write is conditional: when the
	// condition does not hold (IfMatch on a missing key included) it
	// fails with ErrPrecondition and changes nothing. Put does not close r.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
	// Delete removes the object. Deleting a missing object (or a key
	// naming a folder) is not an error.
	Delete(ctx context.Context, key string) error
	// Stat describes the object, or fails with ErrNotExist when there is
	// none under key.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
}

// ConditionalDeleter deletes an object only while it is the one a caller
// decided to delete: a delete that reaches the store late (its process
// stopped, its request slow) cannot remove an object written since.
type ConditionalDeleter interface {
	// DeleteIf removes the object info describes (an entry of List, or
	// Stat: info.Key and what says which object it is) while info.Key
	// still holds that object. When another object has taken its place
	// it fails with ErrPrecondition and removes nothing; a key that
	// holds nothing is not an error. Each backend says what "that
	// object" means to it and where it cannot tell.
	DeleteIf(ctx context.Context, info ObjectInfo) error
}

// ListedOpener reads an object as a listing saw it.
type ListedOpener interface {
	// OpenListed returns a stream of the bytes [off, end) of the version
	// of the object info describes (an entry of List, or Stat); end < 0,
	// or past info.Size, means info.Size, and off at or past end gives an
	// empty stream. An object changed since it was listed is never read:
	// that fails with ErrPrecondition, a deleted one with ErrNotExist.
	// The caller closes the stream.
	OpenListed(ctx context.Context, info ObjectInfo, off, end int64) (io.ReadCloser, error)
}

// Uploader writes an object in two steps, so that the write can be fenced
// off between them (see [Upload]).
type Uploader interface {
	// Begin starts a write to key; no object appears until Complete.
	Begin(ctx context.Context, key string) (Upload, error)
	// Complete writes the size bytes of r as u's object: it appears
	// whole, or, when the write fails as Put's can, not at all. The size
	// must be known: a negative one fails with ErrSize. It fails with
	// ErrPrecondition when u was aborted or completed before.
	Complete(ctx context.Context, u Upload, r io.Reader, size int64) (ObjectInfo, error)
	// Abort ends u so that no Complete of it can land. Aborting an
	// upload already aborted or completed is not an error.
	Abort(ctx context.Context, u Upload) error
}

// DirLister lists one level of folders, at a cost that grows with the
// number of folders rather than of objects.
type DirLister interface {
	// ListDirs calls fn, in key order, for each folder directly under
	// prefix that holds at least one object, as prefix plus the folder's
	// name and a slash; a write not yet complete holds none. prefix must
	// be empty or end with a slash, else ListDirs fails with
	// ErrInvalidKey. It stops at and returns the first error fn returns.
	ListDirs(ctx context.Context, prefix string, fn func(dir string) error) error
}
