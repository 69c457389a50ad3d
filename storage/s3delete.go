package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"
)

// Delete removes the object. Deleting a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkS3Object("delete", s.bucket, key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(s.s3Error(err), ErrNotExist) {
		return fmt.Errorf("delete s3://%s/%s: %w", s.bucket, key, s.s3Error(err))
	}
	return nil
}

// DeleteIf removes the object info describes while key still holds it.
//
// On a versioned bucket (info.VersionID set, as Stat sets it there) it
// names that version: a delete of a version never touches another, so a
// write since (a newer version) stays whatever its bytes, and the delete
// cannot be late. When that version is no longer the newest it fails
// with ErrPrecondition; else it removes it and the versions older than it
// too, oldest first and it last, so that none of them becomes the object
// under key again. A version already gone is not an error.
//
// Without a version (a bucket without versioning, or an object as a
// listing gives it, which names none) the object is known by its ETag (a
// digest of its bytes, so a write of equal bytes has the same one) and
// its modification time, to the second as a HEAD gives it (when info has
// one): DeleteIf checks both with a HEAD. On a versioned bucket the HEAD
// names the version, and DeleteIf deletes that version as above: a write
// since is a newer version and stays. Elsewhere it sends the DELETE with
// If-Match: that ETag, and fails with ErrPrecondition when either finds
// another. A store that honours If-Match on DELETE (AWS S3) makes that a
// fence as far as an ETag tells; on one that ignores it (MinIO) only the
// HEAD checks, so a write that lands between the HEAD and the DELETE is
// removed, and so is a rewrite of equal bytes within the second the
// object noted was written (docs/output.md, Fencing stale writers: the
// window on a bucket without versioning).
func (s *S3) DeleteIf(ctx context.Context, info ObjectInfo) error {
	key := info.Key
	if err := checkS3Object("delete", s.bucket, key); err != nil {
		return err
	}
	if info.VersionID != "" && info.VersionID != "null" {
		return s.deleteVersion(ctx, info)
	}
	if info.ETag == "" {
		return fmt.Errorf("delete s3://%s/%s: %w: no ETag or version says which object to delete", s.bucket, key, ErrPrecondition)
	}
	cur, err := s.Stat(ctx, key)
	if errors.Is(err, ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("delete %w", err)
	}
	if !sameObject(cur, info) {
		return fmt.Errorf("delete s3://%s/%s: %w: another object took its place", s.bucket, key, ErrPrecondition)
	}
	if cur.VersionID != "" && cur.VersionID != "null" {
		// A versioned bucket, the object noted from a listing: the
		// version the HEAD found is it.
		return s.deleteVersion(ctx, cur)
	}
	err = s.client.RemoveObject(context.WithValue(ctx, ifMatchKey{}, `"`+info.ETag+`"`), s.bucket, key, minio.RemoveObjectOptions{})
	switch err = s.s3Error(err); {
	case err == nil, errors.Is(err, ErrNotExist):
		return nil
	case errors.Is(err, ErrPrecondition):
		return fmt.Errorf("delete s3://%s/%s: %w: another object took its place", s.bucket, key, ErrPrecondition)
	default:
		return fmt.Errorf("delete s3://%s/%s: %w", s.bucket, key, err)
	}
}

// sameObject reports whether cur, the object a HEAD finds under the key,
// is the one info noted: the same ETag, and the same modification time to
// the second (a HEAD's precision) when both have one.
func sameObject(cur, info ObjectInfo) bool {
	return cur.ETag == info.ETag && (cur.Modified.IsZero() || info.Modified.IsZero() ||
		cur.Modified.Truncate(time.Second).Equal(info.Modified.Truncate(time.Second)))
}

// ifMatchKey carries, in a request's context, the If-Match a DELETE is
// sent with (see deleteCondition).
type ifMatchKey struct{}

// deleteCondition sends a DELETE with the If-Match its context carries:
// minio-go's RemoveObjectOptions has no field for it. The header is not
// signed, as S3 allows for standard headers. A store that honours it (AWS
// S3 for general purpose buckets since September 2025) refuses, with 412,
// a DELETE of an object whose ETag is another; MinIO ignores it.
type deleteCondition struct{ http.RoundTripper }

func (t deleteCondition) RoundTrip(r *http.Request) (*http.Response, error) {
	if etag, ok := r.Context().Value(ifMatchKey{}).(string); ok && r.Method == http.MethodDelete {
		r = r.Clone(r.Context())
		r.Header.Set("If-Match", etag)
	}
	return t.RoundTripper.RoundTrip(r)
}

// deleteVersion removes info's version of its key and every older one.
func (s *S3) deleteVersion(ctx context.Context, info ObjectInfo) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()        // stops minio's lister if the loop returns early
	var versions []string // newest first, as S3 lists them
	found := false
	for o := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: info.Key, WithVersions: true}) {
		if o.Err != nil {
			return fmt.Errorf("delete s3://%s/%s: list its versions: %w", s.bucket, info.Key, s.s3Error(o.Err))
		}
		if o.Key != info.Key {
			continue
		}
		if len(versions) == 0 && !found && o.VersionID != info.VersionID {
			if o.IsDeleteMarker && o.IsLatest {
				return nil // the key holds nothing
			}
			// A newer version is the object now.
			return fmt.Errorf("delete s3://%s/%s: %w: another object took its place", s.bucket, info.Key, ErrPrecondition)
		}
		found = found || o.VersionID == info.VersionID
		if found {
			versions = append(versions, o.VersionID)
		}
	}
	for i := len(versions) - 1; i >= 0; i-- {
		err := s.client.RemoveObject(ctx, s.bucket, info.Key, minio.RemoveObjectOptions{VersionID: versions[i]})
		if err != nil && !errors.Is(s.s3Error(err), ErrNotExist) {
			return fmt.Errorf("delete s3://%s/%s version %s: %w", s.bucket, info.Key, versions[i], s.s3Error(err))
		}
	}
	return nil
}
