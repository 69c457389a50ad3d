package storage

import (
	"context"
	"errors"
	"fmt"

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
// Elsewhere the object is known by its ETag only, the MD5 of its bytes
// for a plain PUT: DeleteIf checks it with a HEAD just before the DELETE
// and fails with ErrPrecondition when it changed. That check is not a
// fence. S3 has no rename, and MinIO ignores If-Match on DELETE, so a
// DELETE that reaches the store after a write that landed since its HEAD,
// or a write of the same bytes, removes that write (docs/output.md,
// Fencing stale writers: the window on a bucket without versioning).
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
	if cur.ETag != info.ETag {
		return fmt.Errorf("delete s3://%s/%s: %w: another object took its place", s.bucket, key, ErrPrecondition)
	}
	return s.Delete(ctx, key)
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
