package settings

import (
	"fmt"
	"strings"
)

// checkURLShape refuses a location that starts like a URL but is not one
// ParseLocation reads as such: a scheme-shaped name (a letter, then
// letters, digits, '+', '-' or '.') followed by ':' or by "//", other than
// the exact prefixes of the schemes (s3:// and file://). ParseLocation would take s3:/b/x,
// s3:b/x, s3//b/x or file:/x for a local relative path, and a run would
// write its output into a folder named "s3:" in the working directory and
// succeed. A local path that really starts that way can be written ./s3:b.
// The rest of the URL (bucket name, credentials, other schemes written
// with "://") is ParseLocation's to check.
func checkURLShape(raw string) error {
	if _, ok := schemeOfURL(raw); ok {
		return nil
	}
	end := 0
	for end < len(raw) && schemeByte(raw[end], end == 0) {
		end++
	}
	if end == 0 {
		return nil
	}
	if rest := raw[end:]; strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "//") {
		return fmt.Errorf("%q starts like a URL but is not %s; write ./%s for a local path", raw, schemeExamples(), raw)
	}
	return nil
}

// schemeByte reports whether c may be at this place in a URL scheme
// (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )).
func schemeByte(c byte, first bool) bool {
	letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	return letter || !first && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')
}

// checkLocation says what is wrong with a location URL: one ParseLocation
// refuses, or one of the shapes checkURLShape refuses.
func checkLocation(raw string) error {
	if _, err := ParseLocation(raw); err != nil {
		return err
	}
	return checkURLShape(raw)
}
