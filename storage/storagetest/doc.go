// Package storagetest holds what storage tests share: a conformance suite
// that every backend must pass ([Run]: the [Cases] of the storage
// contract; [Failures] runs one on a store broken on purpose, to prove the
// case can fail), the MinIO server that scripts/test.sh
// starts ([S3Config], [NewBucket]) and its PostgreSQL server for Iceberg
// catalogs ([PostgresURL]), private MinIO servers a test can kill and
// restart ([StartMinIO]), toxiproxy proxies for injecting network faults
// ([NewProxy]), and a store decorator that lets a test act at a named point
// of a read and counts the bytes read ([Hooked]). It is imported by tests only and never linked into logsmith.
package storagetest
