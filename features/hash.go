package features

import (
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// hashBytes hashes a distinct-count value for the HyperLogLog.
func hashBytes(b []byte) uint64 { return xxhash.Sum64(b) }

// b2s views b as a string without copying; the string must not outlive b.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
