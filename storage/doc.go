// Package storage reads and writes objects: byte streams named by keys in a
// flat, prefix-listable namespace. It knows nothing about logs or features.
//
// The contract every backend meets is written once, here: [Store] (List,
// Open, Put, Delete, Stat), [ListedOpener] (OpenListed), [Uploader]
// (Begin, Complete, Abort), [ConditionalDeleter] (DeleteIf) and
// [DirLister] (ListDirs), each method saying
// what happens when the object is missing and who closes what. Two
// backends return concrete types that meet all of it: [S3] for any
// S3-compatible store through minio-go, and [Local] for a folder on disk.
// Two read-only stores stand in for inputs that are no folder or bucket:
// [Pipe], standard input as one object read once, and [MissingFolder], a
// local folder not there yet, which holds nothing.
// Consumers declare the part they need by embedding these (objio.Backend,
// table.Bucket); storagetest.Run checks a backend against the whole
// contract, and objio.Bucket, which retries a backend's calls, keeps it.
//
// Keys are bytes, never decoded. S3 keys are at most 1024 bytes of UTF-8
// and have no empty, "." or ".." segment and no leading slash (MinIO's
// and minio-go's rules). Local keys are relative slash-separated paths
// without empty, "." or ".." segments or a trailing slash; each segment
// is at most what the file system allows (255 bytes on ext4 and xfs),
// and a segment may not start with ".logsmith-tmp-". A key a backend
// cannot store fails with ErrInvalidKey (Local's Put: ErrPermission).
//
// # Errors
//
// Backend errors are translated once into this package's sentinels, so
// callers test them with errors.Is: [ErrNotExist] for a missing object or
// bucket, [ErrPermission] for refused credentials or access (and, for
// [Local], any folder or file it cannot create), [ErrPrecondition] when a
// conditional write loses or a read of a listed version (OpenListed) finds
// the object changed since it was listed, [ErrInvalidKey] for a key the
// backend refuses (MinIO: a//b, x/../y), [ErrSize] for a write whose body
// is shorter or longer than the size it was given, [ErrReadOnce] for a
// second read of a [Pipe], and [ErrNotRegular] for
// a local entry that is not a regular file. Every one of them is
// permanent: retrying cannot help.
//
// An S3 endpoint that cannot be talked with at all is an [*EndpointError]
// naming it and its [Problem]: [ErrUnreachable] when no server answers (a
// name that does not resolve, nothing listening: a server restarting may
// heal, so the caller decides), [ErrMisconfigured] when one answers
// otherwise than configured (plain http for https or the other way round,
// an untrusted certificate, another region: permanent). [S3.Probe] checks
// a bucket before a command's first real call.
package storage
