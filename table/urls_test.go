package table_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/table"
)

// A URL that is not valid UTF-8 (an object key, or a file name, may hold
// any bytes) is recorded whole: two that differ only in invalid bytes stay
// apart in the manifest's JSON and in SameInputs, and read back as written.
func TestManifestURLsAreExact(t *testing.T) {
	inputs := []table.Input{
		{URL: "file:///logs/a\xff.jsonl", Size: 1, ETag: "e1"},
		{URL: "file:///logs/a\xfe.jsonl", Size: 1, ETag: "e1"},
		{URL: "file:///logs/a\ufffd.jsonl", Size: 1, ETag: "e1"}, // the text JSON would give both
		{URL: "s3://b-1/k\xc3", Size: 2, ETag: "e2"},
		{URL: "s3://b-1/café", Size: 3, ETag: "e3"},
	}
	m := &table.Manifest{ManifestVersion: table.ManifestVersion, State: table.StateCommitted, Inputs: inputs, ConfigHash: "h",
		Damaged: []table.DamagedObject{{URL: "s3://b-1/d\xff", Reason: "gzip"}, {URL: "s3://b-1/d\xfe", Reason: "gzip"}}}
	raw := m.Encode()
	for _, want := range []string{
		`"url_base64": "ZmlsZTovLy9sb2dzL2H/Lmpzb25s"`, // file:///logs/a\xff.jsonl
		`"url_base64": "ZmlsZTovLy9sb2dzL2H+Lmpzb25s"`,
		`"url_base64": "czM6Ly9iLTEvZP8="`,
	} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("manifest lacks %s:\n%s", want, raw)
		}
	}
	if n := strings.Count(string(raw), "url_base64"); n != 5 {
		t.Errorf("%d url_base64 fields, want 5 (only for URLs that are not UTF-8):\n%s", n, raw)
	}
	got, err := table.ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range got.Inputs {
		if in != inputs[i] {
			t.Errorf("input %d read back as %+v, want %+v", i, in, inputs[i])
		}
	}
	if got.Damaged[0].URL != "s3://b-1/d\xff" || got.Damaged[1].URL != "s3://b-1/d\xfe" {
		t.Errorf("damaged objects read back as %+v", got.Damaged)
	}
	if !got.SameInputs(inputs, "h") {
		t.Error("the manifest read back is not from the same inputs")
	}
	swapped := append([]table.Input(nil), inputs...)
	swapped[0].URL = "file:///logs/a\xfd.jsonl"
	if got.SameInputs(swapped, "h") {
		t.Error("a\\xfd.jsonl is taken for a\\xff.jsonl")
	}
	if _, err := table.ParseManifest(bytes.Replace(raw, []byte("czM6Ly9iLTEvZP8="), []byte("!!"), 1)); err == nil {
		t.Error("a url_base64 that is not base64 is accepted")
	}
}
