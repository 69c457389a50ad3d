// Package storage reads and writes objects: byte streams named by keys in a
// flat, prefix-listable namespace. It knows nothing about logs or features.
//
// Two backends return concrete types with the same methods: [S3] for any
// S3-compatible store through minio-go, and [Local] for a folder on disk.
// Consumers declare the small interface they need.
//
// # Errors
//
// Backend errors are translated once into this package's sentinels, so
// callers test them with errors.Is: [ErrNotExist] for a missing object or
// bucket, [ErrPermission] for refused credentials or access (and, for
// [Local], any folder or file it cannot create), [ErrPrecondition] when a
// conditional write loses or a read of a listed version (OpenListed) finds
// the object changed since it was listed, [ErrInvalidKey] for a key the
// backend refuses (MinIO: a//b, x/../y), and [ErrNotRegular] for a local
// entry that is not a regular file. Every one of them is permanent: retrying cannot help.
//
// An S3 endpoint that cannot be talked with at all is an [*EndpointError]
// naming it and its [Problem]: [ErrUnreachable] when no server answers (a
// name that does not resolve, nothing listening: a server restarting may
// heal, so the caller decides), [ErrMisconfigured] when one answers
// otherwise than configured (plain http for https or the other way round,
// an untrusted certificate, another region: permanent). [S3.Probe] checks
// a bucket before a command's first real call.
package storage
