package storage

import (
	"fmt"
	"net"
	"strings"
)

// CheckBucketName applies the S3 naming rules for general purpose buckets:
// 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with
// a letter or digit, no "..", not an IP address, and none of the reserved
// prefixes and suffixes.
func CheckBucketName(b string) error {
	bad := func(why string) error { return fmt.Errorf("bucket name %q: %s", b, why) }
	if len(b) < 3 || len(b) > 63 {
		return bad("want 3 to 63 characters")
	}
	for _, c := range []byte(b) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("want lowercase letters, digits, '.' and '-' only")
		}
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	switch {
	case !alnum(b[0]) || !alnum(b[len(b)-1]):
		return bad("must start and end with a letter or digit")
	case strings.Contains(b, ".."):
		return bad("must not hold \"..\"")
	case net.ParseIP(b) != nil:
		return bad("must not be an IP address")
	case strings.HasPrefix(b, "xn--") || strings.HasPrefix(b, "sthree-"):
		return bad("reserved prefix")
	case strings.HasSuffix(b, "-s3alias") || strings.HasSuffix(b, "--ol-s3"):
		return bad("reserved suffix")
	}
	return nil
}
