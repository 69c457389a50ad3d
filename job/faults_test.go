package job_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

func put(t *testing.T, b job.Bucket, key string, data []byte) {
	t.Helper()
	if _, err := b.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func gz(data []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

func lines(n int, minute int) []byte {
	var b bytes.Buffer
	for i := range n {
		b.WriteString(`{"timestamp":"2025-11-08T10:`)
		b.WriteString(string(rune('0'+minute/10)) + string(rune('0'+minute%10)))
		b.WriteString(`:00Z","level":"INFO","latency_ms":`)
		b.WriteString(string(rune('1' + i%9)))
		b.WriteString("}\n")
	}
	return b.Bytes()
}

func noManifest(t *testing.T, b job.Bucket, out string) {
	t.Helper()
	loc, _ := settings.ParseLocation(out)
	ms, err := listManifests(context.Background(), b, loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 0 {
		t.Errorf("%d partitions committed, want none", len(ms))
	}
}

// A gzip bomb is rejected (limit+1 read), and so is a corrupt stream (the
// bytes decoded before its checksum failed may be wrong); a truncated
// stream keeps the lines before the cut. All are recorded in the manifest.
func TestDamagedObjects(t *testing.T) {
	ctx := context.Background()
	b, c := storagetest.NewBucket(t)
	in := "s3://" + b.Bucket() + "/in/"
	good := lines(1000, 1)
	put(t, b, "in/a-good.jsonl", good)
	put(t, b, "in/b-bomb.jsonl.gz", gz(bytes.Repeat(good, 200))) // ~11 MB decompressed
	full := gz(lines(1000, 2))
	put(t, b, "in/c-truncated.jsonl.gz", full[:len(full)/2])
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(lines(1000, 3))
	zw.Close()
	corrupt := bytes.Clone(zs.Bytes())
	for i := len(corrupt) / 2; i < len(corrupt)/2+64; i++ {
		corrupt[i] ^= 0x5a
	}
	put(t, b, "in/d-corrupt.jsonl.zst", corrupt)

	cfg := runConfig(in, "s3://"+b.Bucket()+"/out", s3Settings(c))
	cfg.MaxObjectBytes = 1 << 20
	cfg.MaxBadRatio = 0.9
	sum, err := job.Run(ctx, cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byURL := map[string]job.DamagedObject{}
	for _, d := range sum.Damaged {
		byURL[strings.TrimPrefix(d.URL, in)] = d
	}
	if d, ok := byURL["b-bomb.jsonl.gz"]; !ok || !d.Rejected || !strings.Contains(d.Reason, "max-object-bytes") {
		t.Errorf("bomb: %+v", d)
	}
	if d, ok := byURL["c-truncated.jsonl.gz"]; !ok || d.Rejected || d.Reason == "" || d.Lines == 0 {
		t.Errorf("truncated: %+v, want damaged with a reason and the lines before the cut kept", d)
	}
	if d, ok := byURL["d-corrupt.jsonl.zst"]; !ok || !d.Rejected || d.Reason == "" || d.Lines != 0 {
		t.Errorf("corrupt: %+v, want rejected whole with a reason", d)
	}
	if _, ok := byURL["a-good.jsonl"]; ok || len(sum.Damaged) != 3 {
		t.Errorf("damaged = %+v", sum.Damaged)
	}
	// Lines of the good object plus those before the cut; none of the
	// bomb's or the corrupt object's.
	if want := 1000 + byURL["c-truncated.jsonl.gz"].Lines; sum.Lines != want {
		t.Errorf("lines = %d, want the good 1000 plus the %d before the cut", sum.Lines, want-1000)
	}
	loc, _ := settings.ParseLocation(cfg.Output)
	m, _, err := readManifest(ctx, b, loc, "2025-11-08")
	if err != nil || len(m.Damaged) != 3 {
		t.Errorf("manifest damaged objects: %v %v", m, err)
	}
	// A silently broken upstream fails the run: 3 of 4 objects damaged.
	cfg.MaxBadRatio = 0.01
	cfg.Output = "s3://" + b.Bucket() + "/out2"
	_, err = job.Run(ctx, cfg, job.Options{})
	if failure.ExitCode(err) != failure.ExitBadData {
		t.Errorf("damaged-object ratio: err %v, want exit %d", err, failure.ExitBadData)
	}
	noManifest(t, b, cfg.Output)
}

// Bad lines: counted by reason, sampled to _rejects/, and over the
// threshold the run fails with its own exit code and commits nothing.
func TestRejectsAndThreshold(t *testing.T) {
	ctx := context.Background()
	b, c := storagetest.NewBucket(t)
	data := append(lines(95, 1), []byte("oops\n{\"level\":\"x\"}\n{\"timestamp\":\"2025-11-08T10:01:00Z\",\"latency_ms\":\"slow\"}\n"+
		`{"timestamp":"`+strings.Repeat("9", 5000)+`"}`+"\nnot json either\n")...)
	put(t, b, "in/x.jsonl", data)
	cfg := runConfig("s3://"+b.Bucket()+"/in/", "s3://"+b.Bucket()+"/out", s3Settings(c))
	cfg.Date = "2025-11-08"
	cfg.RejectSamples = 3
	_, err := job.Run(ctx, cfg, job.Options{})
	if failure.ExitCode(err) != failure.ExitBadData || !strings.Contains(err.Error(), "max-bad-ratio") {
		t.Fatalf("err = %v, want the bad-data exit code", err)
	}
	noManifest(t, b, cfg.Output)
	files := readAll(t, b, "out/_rejects/")
	if len(files) != 1 {
		t.Fatalf("rejects files: %v", files)
	}
	for k, v := range files {
		if !strings.Contains(k, "date=2025-11-08/run=") {
			t.Errorf("rejects key %s", k)
		}
		got := strings.Split(strings.TrimSpace(string(v)), "\n")
		if len(got) != 3 || !strings.Contains(got[0], `"line":96,"reason":"not_json","raw":"oops"`) ||
			!strings.Contains(got[1], `"reason":"missing_timestamp"`) || !strings.Contains(got[0], `"object":"s3://`) {
			t.Errorf("rejects =\n%s", v)
		}
	}
	cfg.MaxBadRatio = 0.1
	sum, err := job.Run(ctx, cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"not_json": 2, "missing_timestamp": 1, "bad_latency": 1, "bad_timestamp": 1}
	for k, v := range want {
		if sum.BadByReason[k] != v {
			t.Errorf("bad %s = %d, want %d (all: %v)", k, sum.BadByReason[k], v, sum.BadByReason)
		}
	}
}

// An object deleted between listing and reading fails the run, naming it.
func TestObjectDeletedAfterList(t *testing.T) {
	ctx := context.Background()
	b, c := storagetest.NewBucket(t)
	put(t, b, "in/a.jsonl", lines(10, 1))
	put(t, b, "in/b.jsonl", lines(10, 2))
	cfg := runConfig("s3://"+b.Bucket()+"/in/", "s3://"+b.Bucket()+"/out", s3Settings(c))
	_, err := job.Run(ctx, cfg, job.Options{AfterList: func(ctx context.Context) {
		if err := b.Delete(ctx, "in/b.jsonl"); err != nil {
			t.Error(err)
		}
	}})
	if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "in/b.jsonl") || !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("err = %v, want a storage failure naming in/b.jsonl", err)
	}
	noManifest(t, b, cfg.Output)
}

// An object replaced between listing and reading fails the run rather than
// being read cut at the listed size.
func TestObjectReplacedAfterList(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	put(t, b, "in/a.jsonl", lines(10, 1))
	cfg := runConfig("s3://"+b.Bucket()+"/in/", "s3://"+b.Bucket()+"/out", s3Settings(c))
	_, err := job.Run(context.Background(), cfg, job.Options{AfterList: func(context.Context) {
		put(t, b, "in/a.jsonl", lines(20, 1))
	}})
	if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "changed since it was listed") {
		t.Fatalf("err = %v, want a storage failure: changed since listed", err)
	}
	noManifest(t, b, cfg.Output)
}

// Wrong credentials or a missing bucket: one clear error, its exit code,
// no retry storm.
func TestAccessErrorsFailFast(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	put(t, b, "in/a.jsonl", lines(10, 1))
	for _, tc := range []struct {
		name string
		mod  func(*settings.S3Settings, *settings.Config)
		code int
		want string
	}{
		{"wrong secret", func(s *settings.S3Settings, _ *settings.Config) { s.SecretKey = "not-the-secret" }, failure.ExitAccess, "access denied"},
		{"unknown key", func(s *settings.S3Settings, _ *settings.Config) { s.AccessKey = "nobody" }, failure.ExitAccess, "access denied"},
		{"missing bucket", func(_ *settings.S3Settings, cfg *settings.Config) { cfg.Input = "s3://no-such-bucket-xyz/in/" }, failure.ExitStorage, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s3Settings(c)
			cfg := runConfig("s3://"+b.Bucket()+"/in/", "s3://"+b.Bucket()+"/out", s)
			tc.mod(&cfg.S3, &cfg)
			var retries atomic.Int64
			start := time.Now()
			_, err := job.Run(context.Background(), cfg, job.Options{Retries: &retries})
			if failure.ExitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v (exit %d), want exit %d mentioning %q", err, failure.ExitCode(err), tc.code, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second || retries.Load() != 0 {
				t.Errorf("took %v with %d retries; want a fast failure without retries", d, retries.Load())
			}
			if strings.Contains(err.Error(), c.SecretKey) {
				t.Error("error shows the secret")
			}
		})
	}
}

// faultEnv is a private MinIO with data, reached directly and through a
// toxiproxy, and the committed output of a clean run to compare with.
type faultEnv struct {
	minio *storagetest.MinIO
	proxy *storagetest.Proxy
	store *storage.S3
	clean map[string][]byte
}

func newFaultEnv(t *testing.T, objects, lines int) *faultEnv {
	t.Helper()
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{})
	st, err := storage.NewS3(m.Config(), "data")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &faultEnv{minio: m, proxy: storagetest.NewProxy(t, m.Addr), store: st}
	gen := settings.GenerateConfig{Output: "s3://data/logs", Objects: objects, Lines: lines, Seed: 5, Days: 1,
		Start: time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), S3: s3Settings(m.Config())}
	if _, err := job.Generate(context.Background(), gen); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Run(context.Background(), e.config("s3://data/clean", false), job.Options{}); err != nil {
		t.Fatal(err)
	}
	e.clean = committed(t, st, "s3://data/clean")
	return e
}

func (e *faultEnv) config(out string, viaProxy bool) settings.Config {
	s := s3Settings(e.minio.Config())
	if viaProxy {
		s.Endpoint = e.proxy.Addr()
	}
	cfg := runConfig("s3://data/logs/{yyyy}/{mm}/{dd}/", out, s)
	cfg.Date, cfg.Workers, cfg.Format = "2025-11-08", 2, []string{"parquet", "csv"}
	cfg.ReadRetryDeadline, cfg.IdleTimeout = 30*time.Second, 2*time.Second
	return cfg
}

func (e *faultEnv) sameAsClean(t *testing.T, out string) {
	t.Helper()
	got := committed(t, e.store, out)
	if len(got) != len(e.clean) {
		t.Fatalf("%d files, clean run had %d", len(got), len(e.clean))
	}
	for k, v := range e.clean {
		if !bytes.Equal(got[k], v) {
			t.Errorf("%s differs from the clean run", k)
		}
	}
}

// Latency, truncated responses and connection resets: the run retries,
// resumes where reads stopped, and writes exactly the clean run's output.
func TestToxicNetwork(t *testing.T) {
	e := newFaultEnv(t, 4, 6000)
	type toxic struct {
		name, typ string
		share     float64
		attrs     string
	}
	for _, tc := range []struct {
		name   string
		toxics []toxic
		retry  bool
		heal   time.Duration // remove the toxics after this long; 0: keep them
	}{
		{"latency", []toxic{{"lat", "latency", 1, `{"latency":150,"jitter":50}`}}, false, 0},
		{"truncated responses", []toxic{{"cut", "limit_data", 1, `{"bytes":300000}`}}, true, 0},
		{"half the connections truncated", []toxic{{"cut", "limit_data", 0.5, `{"bytes":100000}`}}, true, 0},
		{"connection resets for a while", []toxic{{"reset", "reset_peer", 1, `{"timeout":0}`}}, true, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, x := range tc.toxics {
				e.proxy.Add(x.name, x.typ, "downstream", x.share, x.attrs)
			}
			healed := make(chan struct{})
			go func() {
				defer close(healed)
				if tc.heal > 0 {
					time.Sleep(tc.heal)
				}
			}()
			defer func() {
				<-healed
				if tc.heal == 0 {
					for _, x := range tc.toxics {
						e.proxy.Remove(x.name)
					}
				}
			}()
			if tc.heal > 0 {
				go func() {
					<-healed
					for _, x := range tc.toxics {
						e.proxy.Remove(x.name)
					}
				}()
			}
			// A toxic with a share below 1 picks connections at random, and
			// a run may use only a few (keep-alive): repeat the run until one
			// met it, each run writing exactly the clean output.
			runs := 1
			if tc.toxics[0].share < 1 {
				runs = 8
			}
			var retried int64
			for r := range runs {
				out := fmt.Sprintf("s3://data/%s-%d", strings.ReplaceAll(tc.name, " ", "-"), r)
				var retries atomic.Int64
				sum, err := job.Run(context.Background(), e.config(out, true), job.Options{Retries: &retries})
				if err != nil {
					t.Fatalf("run through %s: %v", tc.name, err)
				}
				e.sameAsClean(t, out)
				retried += sum.Retries
				if !tc.retry || retried > 0 {
					break
				}
			}
			if tc.retry && retried == 0 {
				t.Errorf("no retries recorded through %s in %d runs", tc.name, runs)
			}
		})
	}
}

// A store that stops answering (connections open, no data), or resets every
// connection, fails the run in bounded time with a clear message; nothing is
// committed.
func TestHopelessStoreFailsInBoundedTime(t *testing.T) {
	e := newFaultEnv(t, 2, 2000)
	for _, tc := range []struct{ name, typ string }{{"stall", "timeout"}, {"reset", "reset_peer"}} {
		t.Run(tc.name, func(t *testing.T) {
			e.proxy.Add(tc.name, tc.typ, "downstream", 1, `{"timeout":0}`)
			defer e.proxy.Remove(tc.name)
			cfg := e.config("s3://data/"+tc.name, true)
			cfg.IdleTimeout, cfg.ReadRetryDeadline = 500*time.Millisecond, 2*time.Second
			start := time.Now()
			_, err := job.Run(context.Background(), cfg, job.Options{})
			if err == nil || failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "gave up") {
				t.Fatalf("err = %v, want a storage failure after retries", err)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v to fail", d)
			}
		})
		noManifest(t, e.store, "s3://data/"+tc.name)
	}
}

// MinIO killed mid-run and restarted within the retry deadline: the run
// succeeds and its output is identical to a clean run's.
func TestMinIORestartMidRun(t *testing.T) {
	e := newFaultEnv(t, 4, 8000)
	e.proxy.Add("slow", "bandwidth", "downstream", 1, `{"rate":800}`) // KB/s per connection: reads take seconds
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(1500 * time.Millisecond)
		e.minio.Kill()
		time.Sleep(2 * time.Second)
		e.minio.Start()
	}()
	var retries atomic.Int64
	_, err := job.Run(context.Background(), e.config("s3://data/restarted", true), job.Options{Retries: &retries})
	<-done
	if err != nil {
		t.Fatalf("run across a MinIO restart: %v", err)
	}
	if retries.Load() == 0 {
		t.Error("no retries: the kill did not land mid-run")
	}
	e.sameAsClean(t, "s3://data/restarted")
}

// MinIO down past the retry deadline: the run fails within a bounded time
// with a clear message and commits nothing.
func TestMinIODownPastDeadline(t *testing.T) {
	e := newFaultEnv(t, 2, 2000)
	cfg := e.config("s3://data/down", false)
	cfg.ReadRetryDeadline = 2 * time.Second
	start := time.Now()
	_, err := job.Run(context.Background(), cfg, job.Options{AfterList: func(context.Context) { e.minio.Kill() }})
	if err == nil || failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "gave up") {
		t.Fatalf("err = %v, want a storage failure after retries", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v to fail", d)
	}
	e.minio.Start()
	noManifest(t, e.store, "s3://data/down")
}

// TLS with a custom CA file works; without it the certificate is refused.
func TestTLSWithCAFile(t *testing.T) {
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{TLS: true})
	s := s3Settings(m.Config())
	s.CAFile = m.CAFile()
	gen := settings.GenerateConfig{Output: "s3://tls/logs", Objects: 1, Lines: 500, Seed: 1, Days: 1,
		Start: time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC), S3: s}
	if _, err := job.Generate(context.Background(), gen); err != nil {
		t.Fatalf("generate over TLS with CA file: %v", err)
	}
	cfg := runConfig("s3://tls/logs/", "s3://tls/out", s)
	if _, err := job.Run(context.Background(), cfg, job.Options{}); err != nil {
		t.Fatalf("run over TLS with CA file: %v", err)
	}
	cfg.S3.CAFile = ""
	cfg.ReadRetryDeadline = time.Second
	_, err := job.Run(context.Background(), cfg, job.Options{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA file: %v, want a certificate error", err)
	}
}

// A local file that changes between listing and reading — grown,
// shrunk, rewritten or replaced by a rename — fails the run like a
// replaced S3 object (exit 5, naming it), and nothing is committed.
func TestLocalFileChangedAfterList(t *testing.T) {
	for name, change := range map[string]func(path string) error{
		"append": func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			_, err = f.Write(lines(5, 3))
			return errors.Join(err, f.Close())
		},
		"truncate": func(p string) error { return os.Truncate(p, 100) },
		"rename-replace": func(p string) error {
			if err := os.WriteFile(p+".new", lines(10, 4), 0o644); err != nil {
				return err
			}
			return os.Rename(p+".new", p)
		},
	} {
		t.Run(name, func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			for k, n := range map[string]int{"a.jsonl": 1, "b.jsonl": 2} {
				if err := os.WriteFile(filepath.Join(in, k), lines(10, n), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := runConfig(in+"/", out, settings.S3Settings{})
			_, err := job.Run(context.Background(), cfg, job.Options{AfterList: func(context.Context) {
				if err := change(filepath.Join(in, "b.jsonl")); err != nil {
					t.Error(err)
				}
			}})
			if failure.ExitCode(err) != failure.ExitStorage || !strings.Contains(err.Error(), "b.jsonl") || !strings.Contains(err.Error(), "changed since it was listed") {
				t.Fatalf("err = %v (exit %d), want exit 5: b.jsonl changed since it was listed", err, failure.ExitCode(err))
			}
			if l, _ := storage.NewLocal(out); len(committed(t, l, out)) != 0 {
				t.Error("committed a partition")
			}
		})
	}
}
