package features

import (
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// hashBytes hashes a distinct-count value for the HyperLogLog.
func hashBytes(b []byte) uint64 { return xxhash.Sum64(b) }

// parseFloat parses a decimal number held in a JSON string.
func parseFloat(b []byte) (float64, error) {
	return strconv.ParseFloat(string(b), 64)
}
