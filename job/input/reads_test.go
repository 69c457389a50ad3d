package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// probeStores returns the stores the probe reads are tested on: a local
// folder always, MinIO when it is configured.
func probeStores(t *testing.T) map[string]func(t *testing.T) storagetest.Store {
	stores := map[string]func(t *testing.T) storagetest.Store{
		"local": func(t *testing.T) storagetest.Store {
			l, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		},
	}
	if testing.Short() {
		return stores
	}
	stores["minio"] = func(t *testing.T) storagetest.Store {
		storagetest.S3Config(t)
		s, _ := storagetest.NewBucket(t)
		return s
	}
	return stores
}

// The reads that look at an object's head before reading it — the one
// that decides whether a large object is split (planUnits) and plan's
// sample (readSampleHead) — are reads like any other: pinned to the listed
// version, and resumed at the byte they reached after a dropped
// connection instead of starting over.
func TestProbeReadsArePinnedAndResume(t *testing.T) {
	ctx := context.Background()
	text := bytes.Repeat([]byte(`{"timestamp":"2025-11-08T00:00:00Z","level":"INFO"}`+"\n"), 1000)
	other := bytes.ToUpper(text)
	probes := map[string]func(in Object) error{
		"split header": func(in Object) error {
			_, err := PlanUnits(ctx, []Object{in}, SplitRule{bytes: int64(len(text)) / 4, maxLine: 1024, maxObject: 1 << 40})
			return err
		},
		"plan sample": func(in Object) error {
			_, err := readSampleHead(ctx, &features.Decompressor{}, in, 0)
			return err
		},
	}
	for sname, newStore := range probeStores(t) {
		for pname, probe := range probes {
			t.Run(sname+"/"+pname, func(t *testing.T) {
				s := newStore(t)
				if _, err := s.Put(ctx, "in/x.jsonl", bytes.NewReader(text), int64(len(text)), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
				info, err := s.Stat(ctx, "in/x.jsonl")
				if err != nil {
					t.Fatal(err)
				}
				var listed storage.ObjectInfo
				_ = s.List(ctx, "in/", func(o storage.ObjectInfo) error { listed = o; return nil })
				if listed.Key != info.Key {
					t.Fatalf("listed %+v", listed)
				}
				policy := objio.Policy{Deadline: 10 * time.Second}

				// Resumed: the first connection drops after 100 bytes.
				h := &storagetest.Hooked{Store: s, Cut: 1, CutAfter: 100}
				in := Object{Bucket: objio.New(h, policy), Loc: settings.Location{Scheme: "file"}, Info: listed}
				if err := probe(in); err != nil {
					t.Fatalf("after a dropped connection: %v", err)
				}
				if got := h.Offsets(); !slices.Equal(got, []int64{0, 100}) {
					t.Errorf("opens at offsets %v, want [0 100]: resumed where it stopped", got)
				}

				// Pinned: the object is replaced just before it is opened.
				h = &storagetest.Hooked{Store: s, Before: func(n int) {
					if n == 1 {
						if _, err := s.Put(ctx, "in/x.jsonl", bytes.NewReader(other), int64(len(other)), storage.PutOptions{}); err != nil {
							t.Error(err)
						}
					}
				}}
				in.Bucket = objio.New(h, policy)
				err = probe(in)
				if !errors.Is(err, storage.ErrPrecondition) || !strings.Contains(err.Error(), "x.jsonl") || failure.KindOf(err) != failure.KindRetry {
					t.Errorf("after the object was replaced: %v (kind %v), want a storage failure: changed since it was listed", err, failure.KindOf(err))
				}
			})
		}
	}
}

// A split object is read about once: its ranges read its size plus at most
// --max-line-bytes each, counted at the store, also when it holds no
// newline (where each range once read on to the object's end to find the
// start of its first line, and the first read the whole object).
func TestSplitReadsEachByteAboutOnce(t *testing.T) {
	ctx := context.Background()
	const size, split, maxLine = 1 << 20, 16 << 10, 1024
	objects := map[string][]byte{
		"no newline":  bytes.Repeat([]byte("x"), size),
		"long lines":  bytes.Repeat(append(bytes.Repeat([]byte("y"), 200<<10), '\n'), size/(200<<10)),
		"short lines": bytes.Repeat([]byte(`{"timestamp":"2025-11-08T00:00:00Z"}`+"\n"), size/37),
	}
	for sname, newStore := range probeStores(t) {
		for oname, data := range objects {
			t.Run(sname+"/"+oname, func(t *testing.T) {
				s := newStore(t)
				if _, err := s.Put(ctx, "x.jsonl", bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
					t.Fatal(err)
				}
				var listed storage.ObjectInfo
				_ = s.List(ctx, "", func(o storage.ObjectInfo) error { listed = o; return nil })
				h := &storagetest.Hooked{Store: s}
				in := Object{Bucket: objio.New(h, objio.Policy{}), Loc: settings.Location{Scheme: "file"}, Info: listed}
				units, err := PlanUnits(ctx, []Object{in}, SplitRule{bytes: split, maxLine: maxLine, maxObject: 1 << 40})
				if err != nil {
					t.Fatal(err)
				}
				if len(units) < 2 {
					t.Fatalf("%d units, want a split", len(units))
				}
				header := h.BytesRead()
				for _, u := range units {
					us := openUnit(ctx, u, 0)
					if _, err := io.Copy(io.Discard, us.src); err != nil {
						t.Fatal(err)
					}
					us.Close()
				}
				read := h.BytesRead() - header
				if bound := int64(len(data)) + int64(len(units))*(1+maxLine+lineSlack); read > bound {
					t.Errorf("%d ranges read %d bytes of a %d-byte object, over %d (size + a line per range)", len(units), read, len(data), bound)
				}
				if header > features.SniffSize {
					t.Errorf("the header read read %d bytes, over %d", header, features.SniffSize)
				}
			})
		}
	}
}

func TestStdinOpensOnce(t *testing.T) {
	in := Stdin(strings.NewReader("x\n"), objio.Policy{Deadline: time.Second})
	ctx := context.Background()
	if _, err := in.Bucket.Open(ctx, storage.PipeKey, 0); err != nil {
		t.Fatal(err)
	}
	_, err := in.Bucket.Open(ctx, storage.PipeKey, 0)
	if !errors.Is(err, storage.ErrReadOnce) {
		t.Fatalf("second open: %v, want it refused", err)
	}
	if strings.Contains(err.Error(), "gave up") {
		t.Errorf("second open was retried: %v", err)
	}
}
