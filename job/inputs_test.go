package job_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
)

// logLines returns n valid lines of 2025-11-08.
func logLines(n, from int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:%02dZ","level":"INFO","latency_ms":%d}`+"\n", (from+i)/3600%24, (from+i)/60%60, (from+i)%60, i%97)
	}
	return b.Bytes()
}

// A local path that names a file is that file, not every file whose name
// starts with it.
func TestLocalFileInputIsOneObject(t *testing.T) {
	dir := t.TempDir()
	for name, n := range map[string]int{"a.jsonl": 300, "a.jsonl.bak": 200, "a.jsonl2": 100, "ab.jsonl": 50} {
		if err := os.WriteFile(filepath.Join(dir, name), logLines(n, 0), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []string{filepath.Join(dir, "a.jsonl"), "file://" + filepath.Join(dir, "a.jsonl")} {
		cfg := runConfig(in, t.TempDir(), settings.S3Settings{})
		sum, err := job.Run(context.Background(), cfg, job.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Objects != 1 || sum.Events != 300 {
			t.Errorf("%s: %d objects, %d events; want the one file's 300", in, sum.Objects, sum.Events)
		}
	}
}

// An object read as byte ranges gives exactly what it gives read whole:
// the counts, the damaged objects and the committed bytes; whatever the
// object holds.
func TestSplitReadsAsWhole(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(logLines(1500, 5000))
	zw.Close()
	random := make([]byte, 300<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	text := logLines(6000, 0)
	half := len(text) / 2
	half += bytes.IndexByte(text[half:], '\n') + 1
	objects := map[string][]byte{
		"text":                   text,
		"NUL line in the middle": append(append(append([]byte{}, text[:half]...), append(bytes.Repeat([]byte{0}, 20), '\n')...), text[half:]...),
		"gzip appended to text":  append(append([]byte{}, text...), gz.Bytes()...),
		"gzip member mid-object": append(append(append([]byte{}, text[:half]...), gz.Bytes()...), text[half:]...),
		"binary":                 random,
		"text then binary":       append(append([]byte{}, text...), random...),
		"BOM first":              append([]byte("\xef\xbb\xbf"), text...),
	}
	for name, data := range objects {
		t.Run(name, func(t *testing.T) {
			in := t.TempDir()
			if err := os.WriteFile(filepath.Join(in, "x.jsonl"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				Events, Lines int64
				Bad           map[string]int64
				Damaged       []string
				Files         map[string][]byte
				Err           string
			}
			read := func(split int64) outcome {
				out := t.TempDir()
				cfg := runConfig(in, out, settings.S3Settings{})
				cfg.Format, cfg.SplitBytes, cfg.MaxBadRatio, cfg.Date = []string{"csv"}, split, 1, "2025-11-08"
				sum, err := job.Run(context.Background(), cfg, job.Options{})
				o := outcome{}
				if err != nil {
					o.Err = fmt.Sprint(failure.ExitCode(err))
				}
				if sum != nil {
					o.Events, o.Lines, o.Bad = sum.Events, sum.Lines, sum.BadByReason
					for _, d := range sum.Damaged {
						o.Damaged = append(o.Damaged, strings.SplitN(d.Reason, ":", 2)[0])
					}
				}
				if err == nil {
					l, _ := storage.NewLocal(out)
					o.Files = committed(t, l, out)
				}
				return o
			}
			whole := read(0)
			if whole.Events == 0 && name == "text" {
				t.Fatalf("whole read: %+v", whole)
			}
			for _, split := range []int64{4096, int64(len(data)) / 3, int64(half) - 7} {
				if split <= 0 {
					continue
				}
				if got := read(split); !reflect.DeepEqual(got, whole) {
					t.Errorf("--split-bytes %d: events %d lines %d bad %v damaged %v err %q; whole: events %d lines %d bad %v damaged %v err %q",
						split, got.Events, got.Lines, got.Bad, got.Damaged, got.Err, whole.Events, whole.Lines, whole.Bad, whole.Damaged, whole.Err)
				}
			}
		})
	}
}

// Limits that apply to an object apply to it whole when it is read as byte
// ranges: --max-object-bytes refuses the object a whole read refuses
// (each range was judged on its own bytes and the split object was
// committed), --reject-samples keeps as many of its bad lines as a whole
// read keeps (each range kept its own), and --max-line-bytes judges the
// lines that cross the ranges' ends as a whole read does.
func TestSplitKeepsPerObjectLimits(t *testing.T) {
	text := logLines(6000, 0)
	var withBad, withLong bytes.Buffer
	for i, l := range bytes.SplitAfter(text, []byte("\n")) {
		switch {
		case i%40 == 7:
			withBad.WriteString("not json " + fmt.Sprint(i) + "\n")
		case i%500 == 3:
			withLong.WriteString(`{"pad":"` + strings.Repeat("p", 3000) + `"}` + "\n")
		}
		withBad.Write(l)
		withLong.Write(l)
	}
	withLong.WriteString(strings.Repeat("q", 5000)) // a last line without newline
	for _, tc := range []struct {
		name string
		data []byte
		set  func(*settings.Config, int64)
	}{
		{"max-object-bytes", text, func(c *settings.Config, size int64) { c.MaxObjectBytes = size - 1 }},
		{"max-object-bytes exact", text, func(c *settings.Config, size int64) { c.MaxObjectBytes = size }},
		{"reject-samples", withBad.Bytes(), func(c *settings.Config, _ int64) { c.RejectSamples = 5 }},
		{"max-line-bytes", withLong.Bytes(), func(c *settings.Config, _ int64) { c.MaxLineBytes = 1024 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := t.TempDir()
			if err := os.WriteFile(filepath.Join(in, "x.jsonl"), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				Events, Lines int64
				Bad           map[string]int64
				Damaged       []string
				Rejects       []string // reason and raw of each sample
				Err           string
			}
			read := func(split int64) outcome {
				out := t.TempDir()
				cfg := runConfig(in, out, settings.S3Settings{})
				cfg.Format, cfg.SplitBytes, cfg.MaxBadRatio, cfg.Date = []string{"csv"}, split, 1, "2025-11-08"
				tc.set(&cfg, int64(len(tc.data)))
				sum, err := job.Run(context.Background(), cfg, job.Options{})
				o := outcome{}
				if err != nil {
					o.Err = fmt.Sprint(failure.ExitCode(err))
				}
				if sum == nil {
					return o
				}
				o.Events, o.Lines, o.Bad = sum.Events, sum.Lines, sum.BadByReason
				for _, d := range sum.Damaged {
					o.Damaged = append(o.Damaged, d.Reason)
				}
				if sum.Rejects != "" {
					b, err := os.ReadFile(filepath.Join(out, sum.Rejects))
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
						var r struct{ Reason, Raw string }
						if err := json.Unmarshal([]byte(l), &r); err != nil {
							t.Fatal(err)
						}
						o.Rejects = append(o.Rejects, r.Reason+" "+r.Raw)
					}
				}
				return o
			}
			whole := read(0)
			for _, split := range []int64{4096, 50000} {
				if got := read(split); !reflect.DeepEqual(got, whole) {
					t.Errorf("--split-bytes %d:\n got %+v\nwhole %+v", split, got, whole)
				}
			}
		})
	}
}

// One local file under two names (a hard link, as rotatelogs -L makes) is
// refused like a symlink, naming both, rather than read twice; a second
// name the run does not read (hidden, or outside the input) is no
// concern, and neither is a copy (another file).
func TestHardLinkedInputRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		link   string // the second name of in/app.jsonl, under the folder
		refuse bool
	}{
		{"beside it", "in/current.jsonl", true},
		{"in a subfolder", "in/sub/app.jsonl", true},
		{"hidden", "in/.current.jsonl", false},
		{"outside the input", "elsewhere/app.jsonl", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"in/sub", "elsewhere"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			app := filepath.Join(dir, "in/app.jsonl")
			if err := os.WriteFile(app, logLines(300, 0), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "in/copy.jsonl"), logLines(300, 0), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(app, filepath.Join(dir, tc.link)); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			cfg := runConfig(filepath.Join(dir, "in")+"/", out, settings.S3Settings{})
			sum, err := job.Run(context.Background(), cfg, job.Options{})
			if !tc.refuse {
				if err != nil || sum.Events != 600 {
					t.Fatalf("err %v, %d events; want the file and its copy read once each (600)", err, sum.Events)
				}
				return
			}
			if failure.ExitCode(err) != failure.ExitBadData || !strings.Contains(err.Error(), "app.jsonl") || !strings.Contains(err.Error(), filepath.Base(tc.link)) {
				events := int64(-1)
				if sum != nil {
					events = sum.Events
				}
				t.Fatalf("err = %v (exit %d, %d events); want exit 3 naming both names", err, failure.ExitCode(err), events)
			}
			if l, _ := storage.NewLocal(out); len(committed(t, l, out)) != 0 {
				t.Error("committed a partition")
			}
		})
	}
}
