package job

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// newRunID returns a sortable, unique run id such as 20251109T010203Z-1a2b3c4d.
func newRunID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
