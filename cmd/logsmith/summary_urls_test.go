package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// urlSummary is what the test reads of a --json summary.
type urlSummary struct {
	Files      []string `json:"files"`
	FileURLs   []string `json:"file_urls"`
	Partitions []struct {
		Files    []string `json:"files"`
		FileURLs []string `json:"file_urls"`
	} `json:"partitions"`
	Rejects        string   `json:"rejects_file"`
	RejectsURL     string   `json:"rejects_url"`
	Removed        []string `json:"removed"`
	RemovedURLs    []string `json:"removed_urls"`
	DroppedFormats []struct {
		Key string `json:"key"`
		URL string `json:"url"`
	} `json:"dropped_formats"`
}

// Every object a run's --json summary names by its key in the bucket it
// also names by URL, in the form logsmith files prints: the committed files
// (of the run and of each partition), the sample of bad lines, the files of
// a dropped format and those the collection removed. The summary used to
// give only keys, which a reader cannot open without knowing the bucket,
// while files printed URLs.
func TestSummaryNamesObjectsAsFilesDoes(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) ([]string, string, func(url string) bool)
	}{
		{"local", func(t *testing.T) ([]string, string, func(string) bool) {
			out := filepath.Join(t.TempDir(), "feat ures", "app")
			b, err := storage.NewLocal("/")
			if err != nil {
				t.Fatal(err)
			}
			return nil, out, func(u string) bool {
				_, err := b.Stat(context.Background(), strings.TrimPrefix(strings.TrimPrefix(u, "file://"), "/"))
				return err == nil
			}
		}},
		{"minio", func(t *testing.T) ([]string, string, func(string) bool) {
			b, c := storagetest.NewBucket(t)
			bucket := b.Bucket()
			return s3Env(c), "s3://" + bucket + "/feat/app", func(u string) bool {
				key, ok := strings.CutPrefix(u, "s3://"+bucket+"/")
				if !ok {
					return false
				}
				_, err := b.Stat(context.Background(), key)
				return err == nil
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, out, exists := tc.env(t)
			logs := filepath.Join(t.TempDir(), "logs")
			if _, stderr, code := exe(t, env, "generate", "--output", logs, "--objects", "2", "--lines", "2000", "--bad-ratio", "0.002"); code != 0 {
				t.Fatal(stderr)
			}
			summary := func(format string) urlSummary {
				t.Helper()
				stdout, stderr, code := exe(t, env, "run", "--input", logs, "--output", out, "--date", "2025-11-08", "--format", format, "--json", "--gc-grace", "0s")
				if code != 0 {
					t.Fatalf("run: exit %d: %s", code, stderr)
				}
				var s urlSummary
				if err := json.Unmarshal([]byte(stdout), &s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			files := func() []string {
				t.Helper()
				var all []string
				for _, f := range []string{"parquet", "csv"} {
					stdout, stderr, code := exe(t, env, "files", "--output", out, "--format", f)
					if code != 0 {
						t.Fatalf("files: exit %d: %s", code, stderr)
					}
					all = append(all, strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")...)
				}
				slices.Sort(all)
				return all
			}
			// sameObjects checks that urls name the objects keys do, in order.
			sameObjects := func(what string, keys, urls []string) {
				t.Helper()
				if len(urls) != len(keys) {
					t.Fatalf("%s: %d keys, %d URLs: %q %q", what, len(keys), len(urls), keys, urls)
				}
				for i := range keys {
					if !strings.HasSuffix(urls[i], "/"+keys[i]) || !strings.Contains(urls[i], "://") {
						t.Errorf("%s: URL %q is not of key %q", what, urls[i], keys[i])
					}
				}
			}

			first := summary("parquet,csv")
			sameObjects("files", first.Files, first.FileURLs)
			if got, want := slices.Sorted(slices.Values(first.FileURLs)), files(); !slices.Equal(got, want) {
				t.Errorf("summary's file_urls %q, files prints %q", got, want)
			}
			for _, p := range first.Partitions {
				sameObjects("partition files", p.Files, p.FileURLs)
			}
			if first.Rejects == "" {
				t.Fatal("no rejects: the input was to hold bad lines")
			}
			sameObjects("rejects", []string{first.Rejects}, []string{first.RejectsURL})
			if !exists(first.RejectsURL) {
				t.Errorf("rejects_url %q names no object", first.RejectsURL)
			}

			// Without csv, the csv file is dropped and collected.
			second := summary("parquet")
			if len(second.DroppedFormats) != 1 {
				t.Fatalf("dropped formats %+v, want the csv", second.DroppedFormats)
			}
			d := second.DroppedFormats[0]
			sameObjects("dropped format", []string{d.Key}, []string{d.URL})
			if !slices.Contains(first.FileURLs, d.URL) || exists(d.URL) {
				t.Errorf("dropped %q: not one of the first run's files %q, or still there", d.URL, first.FileURLs)
			}
			sameObjects("removed", second.Removed, second.RemovedURLs)
			if !slices.Contains(second.RemovedURLs, d.URL) {
				t.Errorf("removed_urls %q lack the dropped %q", second.RemovedURLs, d.URL)
			}
		})
	}
}
