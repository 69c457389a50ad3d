// Package shard owns what lets one run's work be split across processes
// and put back together: the shard partial object (its header and the
// zstd-compressed partial after it), the byte-balanced assignment of units
// to shards, and the check that the shards of a run cover every unit of its
// listing exactly once.
//
// It does not read or write storage, list inputs or commit anything:
// package job does, and package table owns where partials are kept.
package shard
