package job_test

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// layoutStore is where a test writes an input and its output: a local
// folder or a MinIO bucket.
type layoutStore struct {
	in  string // input URL, ending in '/'
	out func(name string) string
	s3  settings.S3Settings
	put func(t *testing.T, key string, data []byte) // key below in
	// outB returns the store holding the output name.
	outB func(t *testing.T, name string) job.Bucket
}

func localLayout(t *testing.T) layoutStore {
	in, out := t.TempDir(), t.TempDir()
	return layoutStore{
		in:  in + "/",
		out: func(name string) string { return filepath.Join(out, name) },
		put: func(t *testing.T, key string, data []byte) {
			t.Helper()
			p := filepath.Join(in, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		},
		outB: func(t *testing.T, name string) job.Bucket {
			b, err := storage.NewLocal(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
	}
}

func minioLayout(t *testing.T) layoutStore {
	bucket, cfg := storagetest.NewBucket(t)
	return layoutStore{
		in:  "s3://" + bucket.Bucket() + "/logs/",
		out: func(name string) string { return "s3://" + bucket.Bucket() + "/features/" + name },
		s3:  s3Settings(cfg),
		put: func(t *testing.T, key string, data []byte) {
			t.Helper()
			if _, err := bucket.Put(context.Background(), "logs/"+key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		outB: func(*testing.T, string) job.Bucket { return bucket },
	}
}

func mustLocation(t *testing.T, u string) settings.Location {
	t.Helper()
	loc, err := settings.ParseLocation(u)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// hygieneObject is an object of the hygiene tests: its key below the
// input, how many lines it holds, and why it is skipped ("" read).
type hygieneObject struct {
	key    string
	lines  int
	reason string
}

// Objects that Spark, Hadoop and desktops leave beside logs are skipped
// by default and counted by reason, wherever they sit below the input
// prefix; --read-hidden reads them. The prefix a user gives is theirs
// whatever its names, and a file named as the input is read.
func TestInputHygieneLocal(t *testing.T) { testInputHygiene(t, localLayout(t), false) }

func TestInputHygieneOnMinIO(t *testing.T) { testInputHygiene(t, minioLayout(t), true) }

func testInputHygiene(t *testing.T, st layoutStore, s3 bool) {
	objs := []hygieneObject{
		{"a.jsonl", 3, ""},
		{"x/b.jsonl", 2, ""},
		{"x/y/c.jsonl", 4, ""},
		{"a_b/c./d.", 1, ""},
		{"x/y/part-0.crc.jsonl", 1, ""},
		{"_SUCCESS", 0, input.SkipHidden},
		{"_", 1, input.SkipHidden},
		{".DS_Store", 1, input.SkipHidden},
		{".crc", 1, input.SkipHidden},
		{"_temporary/0/_temporary/attempt_0/part-0.jsonl", 2, input.SkipHidden},
		{"x/.part-0.jsonl.crc", 1, input.SkipHidden},
		{"x/y/_tmp/z.jsonl", 1, input.SkipHidden},
		{"x/.hidden/deep.jsonl", 1, input.SkipHidden},
		{"x/y/_", 1, input.SkipHidden},
		{"x.crc", 1, input.SkipChecksum},
		{"x/y/part-0.jsonl.crc", 1, input.SkipChecksum},
	}
	if s3 {
		objs = append(objs, hygieneObject{"x/marker/", 0, input.SkipFolderMarker}, hygieneObject{"x/data/", 2, ""},
			hygieneObject{"", 0, input.SkipFolderMarker}) // the input's own marker, logs/
	}
	line := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":5}` + "\n"
	var read, all int64
	wantSkipped := map[string]int64{}
	for _, o := range objs {
		st.put(t, o.key, []byte(strings.Repeat(line, o.lines)))
		all += int64(o.lines)
		if o.reason == "" {
			read += int64(o.lines)
		} else {
			wantSkipped[o.reason]++
		}
	}
	run := func(input, out string, edit func(*settings.Config)) (*job.Summary, error) {
		cfg := runConfig(input, st.out(out), st.s3)
		cfg.Date = "2025-11-08"
		if edit != nil {
			edit(&cfg)
		}
		return job.Run(context.Background(), cfg, job.Options{})
	}
	s, err := run(st.in, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != read || !maps.Equal(s.Skipped, wantSkipped) || s.Objects+int(total(wantSkipped)) != len(objs) {
		t.Errorf("default: %d events from %d objects, skipped %v; want %d events, skipped %v", s.Events, s.Objects, s.Skipped, read, wantSkipped)
	}
	ms, err := listManifests(context.Background(), st.outB(t, "default"), mustLocation(t, st.out("default")))
	if err != nil || len(ms) != 1 || !maps.Equal(ms[0].SkippedObjects, wantSkipped) || len(ms[0].Inputs) != s.Objects {
		t.Fatalf("manifest: %v; want skipped_objects %v and the %d objects read as inputs", err, wantSkipped, s.Objects)
	}

	// A hidden object appearing later does not change the ledger: the
	// date stays committed.
	st.put(t, "x/_SUCCESS", nil)
	s, err = run(st.in, "default", func(c *settings.Config) { c.SkipCommitted = true })
	if err != nil || len(s.Partitions) != 1 || s.Partitions[0].Status != job.StatusSkipped {
		t.Errorf("--skip-committed after a new _SUCCESS: %v, %+v", err, s)
	}
	// --read-hidden reads everything but folder markers: more events, a
	// new config, a new commit.
	s, err = run(st.in, "default", func(c *settings.Config) { c.ReadHidden = true; c.SkipCommitted = true })
	if err != nil || s.Events != all || s.Skipped[input.SkipHidden] != 0 || s.Skipped[input.SkipFolderMarker] != wantSkipped[input.SkipFolderMarker] ||
		len(s.Partitions) != 1 || s.Partitions[0].Status != job.StatusCommitted {
		t.Errorf("--read-hidden: %v; %d events, skipped %v, partitions %+v; want %d events", err, s.Events, s.Skipped, s.Partitions, all)
	}
	// Back to the default, the commit read from the hidden objects is not
	// replaced by one with fewer events, silently.
	_, err = run(st.in, "default", nil)
	if err == nil || !strings.Contains(err.Error(), "fewer than") || failure.ExitCode(err) != 5 {
		t.Errorf("default after --read-hidden: %v (exit %d); want the fewer-events refusal", err, failure.ExitCode(err))
	}

	// The prefix given is the user's, whatever its names; below it the
	// rule holds. A hidden file named as the input is read.
	st.put(t, "_raw/.cache/a.jsonl", []byte(line+line))
	st.put(t, "_raw/.cache/_SUCCESS", nil)
	st.put(t, "_raw/.cache/.hidden.jsonl", []byte(line))
	st.put(t, "_raw/.cache/.hidden.jsonl.crc", []byte(line))
	s, err = run(st.in+"_raw/.cache/", "hidden-prefix", nil)
	if err != nil || s.Events != 2 || s.Objects != 1 || s.Skipped[input.SkipHidden] != 3 {
		t.Errorf("input under hidden folders: %v; %d events from %d objects, skipped %v; want 2 from 1, 3 hidden", err, s.Events, s.Objects, s.Skipped)
	}
	s, err = run(st.in+"_raw/.cache/.hidden.jsonl", "hidden-file", nil)
	wantSkip := map[string]int64{input.SkipChecksum: 1} // .hidden.jsonl.crc starts with the prefix
	if !s3 {
		wantSkip = nil // a local file is that one file
	}
	if err != nil || s.Events != 1 || s.Objects != 1 || !maps.Equal(s.Skipped, wantSkip) {
		t.Errorf("a hidden file named: %v; %d events from %d objects, skipped %v; want 1 from 1, skipped %v", err, s.Events, s.Objects, s.Skipped, wantSkip)
	}

	// Nothing but skipped objects: the run says what it skipped.
	st.put(t, "only/_SUCCESS", nil)
	st.put(t, "only/.part-0.crc", []byte(line))
	_, err = run(st.in+"only/", "only", nil)
	if err == nil || !strings.Contains(err.Error(), "no input objects") || !strings.Contains(err.Error(), "hidden 2") {
		t.Errorf("only hidden objects: %v", err)
	}
}

func total(m map[string]int64) (n int64) {
	for _, v := range m {
		n += v
	}
	return n
}
