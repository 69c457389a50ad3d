package input

import "testing"

// Only the part of a key below the prefix listed counts: a segment
// starting with '_' or '.' there is hidden, a name ending in .crc a
// checksum, an empty key ending in '/' a folder marker; the object the
// prefix names exactly is read whatever its name.
func TestSkipReason(t *testing.T) {
	for _, tc := range []struct {
		prefix, key string
		size        int64
		want        string
	}{
		{"logs/", "logs/a.jsonl", 5, ""},
		{"logs/", "logs/a/b/c.jsonl.gz", 5, ""},
		// Every segment position, every kind of name.
		{"logs/", "logs/_SUCCESS", 0, SkipHidden},
		{"logs/", "logs/_", 5, SkipHidden},
		{"logs/", "logs/.", 5, SkipHidden},
		{"logs/", "logs/..", 5, SkipHidden},
		{"logs/", "logs/.DS_Store", 5, SkipHidden},
		{"logs/", "logs/.crc", 5, SkipHidden},
		{"logs/", "logs/.part-0.crc", 5, SkipHidden},
		{"logs/", "logs/_temporary/0/_temporary/attempt_1/part-0.jsonl", 5, SkipHidden},
		{"logs/", "logs/a/_tmp/x.jsonl", 5, SkipHidden},
		{"logs/", "logs/a/b/.hidden.jsonl", 5, SkipHidden},
		{"logs/", "logs/./a.jsonl", 5, SkipHidden},
		{"logs/", "logs/a/_/b", 5, SkipHidden},
		{"logs/", "logs/x.crc", 5, SkipChecksum},
		{"logs/", "logs/a/b/part-0.jsonl.crc", 5, SkipChecksum},
		{"logs/", "logs/a.crc.jsonl", 5, ""},
		{"logs/", "logs/a_b/.c_/d", 5, SkipHidden},
		{"logs/", "logs/a_b/c./d.", 5, ""},
		{"logs/", "logs/x.CRC", 5, ""},
		// The prefix is the user's, hidden segments and all.
		{"_raw/.cache/", "_raw/.cache/a.jsonl", 5, ""},
		{"_raw/.cache/", "_raw/.cache/_SUCCESS", 5, SkipHidden},
		{"", "_SUCCESS", 5, SkipHidden},
		{"", "a/.x", 5, SkipHidden},
		{"", "a.jsonl", 5, ""},
		// A prefix that ends inside a name: that name's start is the user's.
		{"logs/app", "logs/app.jsonl", 5, ""},
		{"logs/_app", "logs/_app-1.jsonl", 5, ""},
		{"logs/app", "logs/app/.x", 5, SkipHidden},
		{"logs/app", "logs/app/_x/y", 5, SkipHidden},
		{"logs/app", "logs/app.crc", 5, SkipChecksum},
		{"logs/2025-11-08", "logs/2025-11-08/_SUCCESS", 0, SkipHidden},
		// The object named.
		{".hidden.jsonl", ".hidden.jsonl", 5, ""},
		{"logs/_x.crc", "logs/_x.crc", 5, ""},
		// Keys ending in '/'.
		{"logs/", "logs/a/", 0, SkipFolderMarker},
		{"logs/", "logs/", 0, SkipFolderMarker},
		{"logs/", "logs/a/", 9, ""},
		{"logs/", "logs/", 9, ""},
		{"logs/", "logs/_a/", 9, SkipHidden},
		{"logs/", "logs/a.crc/", 9, SkipChecksum},
	} {
		if got := skipReason(tc.prefix, tc.key, tc.size); got != tc.want {
			t.Errorf("prefix %q key %q size %d: %q, want %q", tc.prefix, tc.key, tc.size, got, tc.want)
		}
	}
}
