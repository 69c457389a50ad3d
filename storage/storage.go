package storage

import (
	"errors"
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
