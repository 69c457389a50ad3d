package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// jsonLines returns n valid log lines of 2025-11-08.
func jsonLines(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"2025-11-08T10:%02d:00Z","level":"INFO","latency_ms":%d}`+"\n", i%60, i)
	}
	return []byte(b.String())
}

// runLines runs the binary and returns how many lines it read.
func runLines(t *testing.T, env []string, in, out string) int64 {
	t.Helper()
	stdout, stderr, code := exe(t, env, "run", "--input", in, "--output", out, "--date", "2025-11-08", "--format", "csv", "--json")
	if code != 0 {
		t.Fatalf("run --input %q --output %q: exit %d: %s", in, out, code, stderr)
	}
	var sum struct{ Lines int64 }
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	return sum.Lines
}

// manifestInputs returns the input URLs the committed manifest of
// 2025-11-08 records, each checked to parse back to a location.
func manifestInputs(t *testing.T, env []string, out string) []settings.Location {
	t.Helper()
	stdout, stderr, code := exe(t, env, "show", "--output", out, "--date", "2025-11-08")
	if code != 0 {
		t.Fatalf("show %q: exit %d: %s", out, code, stderr)
	}
	var m struct {
		Inputs []struct{ URL string } `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("manifest %q: %v", stdout, err)
	}
	var locs []settings.Location
	for _, in := range m.Inputs {
		loc, err := settings.ParseLocation(in.URL)
		if err != nil {
			t.Fatalf("manifest input %q does not parse: %v", in.URL, err)
		}
		locs = append(locs, loc)
	}
	return locs
}

// Issue 13 item 3: URLs are taken byte for byte. A '%' is not an escape,
// '#' and '?' are part of the key, and the manifest names each input so
// that it parses back to the same object.
func TestURLKeysAreLiteralLocal(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	files := map[string]int{"pct x.jsonl": 3, "pct%20x.jsonl": 5, "a#b.jsonl": 7, "a": 11}
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, n := range files {
		if err := os.WriteFile(filepath.Join(logs, name), jsonLines(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"pct%20x.jsonl", "a#b.jsonl", "pct x.jsonl"} {
		out := filepath.Join(dir, fmt.Sprintf("o u%%2Ft/ü?x#y-%d", i))
		for _, in := range []string{"file://" + logs + "/" + name, logs + "/" + name} {
			if got := runLines(t, nil, in, "file://"+out); got != int64(files[name]) {
				t.Errorf("--input %q read %d lines, want %d (the file %q alone)", in, got, files[name], name)
			}
		}
		if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
			t.Errorf("output folder %q: %v", out, err)
		}
		locs := manifestInputs(t, nil, out)
		if len(locs) != 1 || filepath.Join(locs[0].Dir, locs[0].Prefix) != filepath.Join(logs, name) {
			t.Errorf("manifest inputs %+v, want the file %q", locs, name)
		}
	}
}

func TestURLKeysAreLiteralS3(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	env := s3Env(c)
	ctx := context.Background()
	objects := map[string]int{"sp/pct x.jsonl": 3, "sp/pct%20x.jsonl": 5, "sp/a#b": 7, "sp/a/other.jsonl": 11, "sp/ab.jsonl": 13, "sp/q?x=1": 17}
	for key, n := range objects {
		data := jsonLines(n)
		if _, err := b.Put(ctx, key, strings.NewReader(string(data)), int64(len(data)), storage.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bucket := "s3://" + b.Bucket() + "/"
	for i, key := range []string{"sp/pct%20x.jsonl", "sp/a#b", "sp/q?x=1"} {
		out := fmt.Sprintf("o u%%2Ft/ü?x#y-%d", i)
		if got := runLines(t, env, bucket+key, bucket+out); got != int64(objects[key]) {
			t.Errorf("--input %q read %d lines, want %d (the object %q alone)", bucket+key, got, objects[key], key)
		}
		n := 0
		if err := b.List(ctx, out+"/", func(storage.ObjectInfo) error { n++; return nil }); err != nil || n == 0 {
			t.Errorf("nothing written under the literal prefix %q: %v", out+"/", err)
		}
		locs := manifestInputs(t, env, bucket+out)
		if len(locs) != 1 || locs[0].Bucket != b.Bucket() || locs[0].Prefix != key {
			t.Errorf("manifest inputs %+v, want the object %q", locs, key)
		}
	}
	// The decoded form names nothing.
	if _, stderr, code := exe(t, env, "run", "--input", bucket+"sp/pct%2520x.jsonl", "--output", bucket+"none", "--date", "2025-11-08"); code != 5 || !strings.Contains(stderr, "no input objects") {
		t.Errorf("a prefix matching no key: exit %d: %s", code, stderr)
	}
}

// A file name that is not valid UTF-8 is recorded whole: JSON would write
// a\xff.jsonl and a\xfe.jsonl both as a\ufffd.jsonl, so the manifest also
// holds each URL's bytes (url_base64). The inputs read back are the files
// read: a rerun with --skip-committed skips, and one after a\xfe.jsonl was
// renamed to a\xfd.jsonl (same size, time and inode: the same ETag) does not.
func TestManifestNamesInvalidUTF8Files(t *testing.T) {
	dir := t.TempDir()
	logs, out := filepath.Join(dir, "logs"), filepath.Join(dir, "out")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]int{"a\xff.jsonl": 3, "a\xfe.jsonl": 5}
	for name, n := range files {
		if err := os.WriteFile(filepath.Join(logs, name), jsonLines(n), 0o644); err != nil {
			t.Skipf("this file system refuses the name %q: %v", name, err)
		}
	}
	if got := runLines(t, nil, logs, out); got != 8 {
		t.Fatalf("read %d lines, want 8", got)
	}
	stdout, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-08")
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	var m struct {
		Inputs []struct {
			URL       string `json:"url"`
			URLBase64 string `json:"url_base64"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, in := range m.Inputs {
		raw, err := base64.StdEncoding.DecodeString(in.URLBase64)
		if err != nil || in.URLBase64 == "" {
			t.Errorf("input %q: url_base64 %q (%v)", in.URL, in.URLBase64, err)
			continue
		}
		loc, err := settings.ParseLocation(string(raw))
		if err != nil {
			t.Fatalf("url_base64 of %q does not parse: %v", in.URL, err)
		}
		seen[filepath.Base(filepath.Join(loc.Dir, loc.Prefix))] = true
	}
	if len(seen) != 2 || !seen["a\xff.jsonl"] || !seen["a\xfe.jsonl"] {
		t.Errorf("manifest inputs name %v, want a\\xff.jsonl and a\\xfe.jsonl", seen)
	}
	status := func() string {
		t.Helper()
		stdout, stderr, code := exe(t, nil, "run", "--input", logs, "--output", out, "--date", "2025-11-08", "--format", "csv", "--json", "--skip-committed")
		if code != 0 {
			t.Fatalf("rerun: exit %d: %s", code, stderr)
		}
		var sum struct {
			Partitions []struct{ Status string } `json:"partitions"`
		}
		if err := json.Unmarshal([]byte(stdout), &sum); err != nil || len(sum.Partitions) != 1 {
			t.Fatalf("summary %q: %v", stdout, err)
		}
		return sum.Partitions[0].Status
	}
	if s := status(); s != "skipped" {
		t.Errorf("a rerun on the same files: %s, want skipped", s)
	}
	if err := os.Rename(filepath.Join(logs, "a\xfe.jsonl"), filepath.Join(logs, "a\xfd.jsonl")); err != nil {
		t.Fatal(err)
	}
	if s := status(); s != "committed" {
		t.Errorf("a rerun after a\\xfe.jsonl became a\\xfd.jsonl: %s, want committed", s)
	}
}
