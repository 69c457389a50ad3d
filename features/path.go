package features

import (
	"errors"
	"fmt"
	"strings"
)

// ParsePath splits a field path into the keys it names, one per level of
// nesting: "http.duration" is the key "duration" inside "http". A key that
// itself holds dots is written in double quotes, as VRL writes it:
// `"log.level"` is the one top-level key log.level, and
// `attributes."http.status_code"` the key http.status_code inside
// attributes. Inside quotes, \" is a quote and \\ a backslash. The empty
// path names no field (nil, nil).
func ParsePath(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.Contains(p, `"`) {
		keys := strings.Split(p, ".")
		for _, k := range keys {
			if k == "" {
				return nil, fmt.Errorf("field path %q: empty path segment (write a key with dots in double quotes: \"a.b\")", p)
			}
		}
		return keys, nil
	}
	var keys []string
	for i := 0; ; {
		var k strings.Builder
		if i < len(p) && p[i] == '"' {
			i++
			closed := false
			for i < len(p) {
				c := p[i]
				i++
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' {
					if i >= len(p) || (p[i] != '"' && p[i] != '\\') {
						return nil, fmt.Errorf("field path %q: want \\\" or \\\\ after a backslash in quotes", p)
					}
					c = p[i]
					i++
				}
				k.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("field path %q: unclosed quote", p)
			}
			if i < len(p) && p[i] != '.' {
				return nil, fmt.Errorf("field path %q: want a dot after a quoted key", p)
			}
		} else {
			j := i
			for j < len(p) && p[j] != '.' {
				if p[j] == '"' {
					return nil, fmt.Errorf("field path %q: a quote inside a key (quote the whole key)", p)
				}
				j++
			}
			k.WriteString(p[i:j])
			if j == i {
				return nil, fmt.Errorf("field path %q: empty path segment (write a key with dots in double quotes: \"a.b\")", p)
			}
			i = j
		}
		keys = append(keys, k.String())
		if i >= len(p) {
			return keys, nil
		}
		i++ // the dot
		if i >= len(p) {
			return nil, errors.New("field path " + fmt.Sprintf("%q", p) + ": ends with a dot")
		}
	}
}

// FormatPath is the inverse of ParsePath: keys holding a dot, a quote or a
// backslash, or empty, are quoted.
func FormatPath(keys []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('.')
		}
		if k != "" && !strings.ContainsAny(k, `."\`) {
			b.WriteString(k)
			continue
		}
		b.WriteByte('"')
		for j := 0; j < len(k); j++ {
			if k[j] == '"' || k[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(k[j])
		}
		b.WriteByte('"')
	}
	return b.String()
}
