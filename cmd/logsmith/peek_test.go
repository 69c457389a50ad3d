package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job/peek"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// peekShapes are the presets with a fixture under testdata/shapes.
var peekShapes = []string{
	"alb", "bunyan", "cloudtrail", "cloudwatch-export", "cloudwatch-subscription", "cri", "docker",
	"ecs", "firehose", "gcp", "journald", "otlp-json", "pino",
}

func peekJSON(t *testing.T, env []string, args ...string) peek.Report {
	t.Helper()
	stdout, stderr, code := exe(t, env, append([]string{"peek", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("peek %v: exit %d: %s", args, code, stderr)
	}
	var r peek.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("peek %v: %v in %s", args, err, stdout)
	}
	return r
}

// Issue 25 item 5: peek, given no shape, names the shape of each real
// producer's bytes (testdata/shapes/<shape>/input) and the command to
// use; on a local folder and on MinIO; and it writes nothing.
func TestPeekShapes(t *testing.T) {
	type backend struct {
		name  string
		env   []string
		input func(shape string) string
		state outputState
	}
	root := filepath.Join("..", "..", "testdata", "shapes")
	backends := []backend{{"local", nil, func(s string) string { return filepath.Join(root, s, "input") }, localState(root)}}
	if os.Getenv("LOGSMITH_TEST_S3") != "" || os.Getenv("CI") != "" {
		b, cfg := storagetest.NewBucket(t)
		for _, s := range peekShapes {
			uploadDir(t, b, filepath.Join(root, s, "input"), s+"/")
		}
		backends = append(backends, backend{"minio", s3Env(cfg), func(s string) string { return "s3://" + b.Bucket() + "/" + s + "/" }, s3State(b)})
	} else {
		t.Log("MinIO part skipped: LOGSMITH_TEST_S3 unset (run scripts/minio.sh start)")
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			before := be.state(t)
			for _, shape := range peekShapes {
				r := peekJSON(t, be.env, "--input", be.input(shape))
				if r.LooksLike != shape {
					t.Errorf("%s: looks like %q; want %q (shapes %+v)", shape, r.LooksLike, shape, r.Shapes[:3])
				}
				if r.Shapes[0].Events*100 < r.Shapes[0].Records*95 {
					t.Errorf("%s: the best shape decodes %d of %d records", shape, r.Shapes[0].Events, r.Shapes[0].Records)
				}
				stdout, _, _ := exe(t, be.env, "peek", "--input", be.input(shape))
				if want := "try --shape " + shape; !strings.Contains(stdout, want) {
					t.Errorf("%s: no %q in\n%s", shape, want, stdout)
				}
				// With the shape given, peek says so and shows events.
				r = peekJSON(t, be.env, "--input", be.input(shape), "--shape", shape, "--lines", "3")
				if len(r.First) != 3 || r.First[0].Bad != "" || r.First[0].Time.IsZero() {
					t.Errorf("%s --shape %s: first events %+v", shape, shape, r.First)
				}
			}
			if after := be.state(t); !slices.Equal(before, after) {
				t.Errorf("peek changed its input:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

// uploadDir puts every file under dir into b under prefix.
func uploadDir(t *testing.T, b *storage.S3, dir, prefix string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		_, err = b.Put(context.Background(), prefix+filepath.ToSlash(rel), bytes.NewReader(data), int64(len(data)), storage.PutOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Issue 25 item 5: each configured field's hit rate is the share of the
// sample's records that hold it, as an independent reading of the same
// lines counts them; a field that never matches names the nearest keys
// seen ("did you mean"), for misspellings of every kind (a letter added,
// dropped, swapped, a case changed).
func TestPeekHitRates(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "3", "--lines", "400", "--bad-ratio", "0"); code != 0 {
		t.Fatal(stderr)
	}
	const sample = 700 // more than one object holds
	// The independent count: the first sample non-blank lines of the
	// objects in name order, read with encoding/json.
	var files []string
	filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	slices.Sort(files)
	has := map[string]int64{}
	var lines int64
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() && lines < sample {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			lines++
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for k, v := range m {
				if v != nil {
					has[k]++
				}
			}
		}
	}
	if lines != sample {
		t.Fatalf("the logs hold %d lines; want at least %d", lines, sample)
	}
	before := localState(dir)(t)
	r := peekJSON(t, nil, "--input", logs, "--sample", strconv.Itoa(sample))
	if r.Records != sample || r.Events != sample {
		t.Fatalf("sample of %d records, %d events; want %d", r.Records, r.Events, sample)
	}
	if r.LooksLike != "default" {
		t.Errorf("looks like %q; want default", r.LooksLike)
	}
	for _, f := range r.Fields {
		if f.Hits != has[f.Path] || f.Of != sample {
			t.Errorf("%s %s: %d of %d; an independent count finds %d of %d", f.Role, f.Path, f.Hits, f.Of, has[f.Path], sample)
		}
	}
	for _, tc := range []struct{ flag, typo, want string }{
		{"--latency-field", "latency_msec", "latency_ms"},
		{"--latency-field", "latncy_ms", "latency_ms"},
		{"--latency-field", "Latency_MS", "latency_ms"},
		{"--level-field", "lvl", "level"},
		{"--level-field", "levle", "level"},
		{"--timestamp-field", "timestmap", "timestamp"},
		{"--timestamp-field", "time_stamp", "timestamp"},
	} {
		args := []string{"--input", logs, "--sample", strconv.Itoa(sample), tc.flag, tc.typo}
		r := peekJSON(t, nil, args...)
		var f *peek.FieldHits
		for i := range r.Fields {
			if r.Fields[i].Path == tc.typo {
				f = &r.Fields[i]
			}
		}
		if f == nil || f.Hits != 0 || !slices.Contains(f.DidYouMean, tc.want) {
			t.Errorf("%s %s: %+v; want no hits and did you mean %s", tc.flag, tc.typo, f, tc.want)
		}
		stdout, _, _ := exe(t, nil, append([]string{"peek"}, args...)...)
		if !strings.Contains(stdout, "did you mean "+tc.want) {
			t.Errorf("%s %s: no \"did you mean %s\" in\n%s", tc.flag, tc.typo, tc.want, stdout)
		}
	}
	if after := localState(dir)(t); !slices.Equal(before, after) {
		t.Errorf("peek changed the folder:\nbefore %q\nafter  %q", before, after)
	}
}

// peek exits as a run does when it cannot read: 5 for no input, 2 for a
// bad setting, naming it.
func TestPeekExitCodes(t *testing.T) {
	empty := t.TempDir()
	if _, stderr, code := exe(t, nil, "peek", "--input", empty); code != 5 {
		t.Errorf("empty input: exit %d; want 5: %s", code, stderr)
	}
	for _, args := range [][]string{{"--lines", "-1"}, {"--sample", "0"}, {"--latency-unit", "min"}, {"--shape", "dockr"}} {
		_, stderr, code := exe(t, nil, append([]string{"peek", "--input", empty}, args...)...)
		if code != 2 || !strings.Contains(stderr, strings.TrimPrefix(args[0], "--")) {
			t.Errorf("%v: exit %d, %q; want 2 naming the setting", args, code, stderr)
		}
	}
}
