package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/logsmith/logsmith/storage/storagetest"
)

// A run whose S3 endpoint cannot be talked with, or whose bucket is
// refused or missing, fails at once — before it lists or reads its input
// and with no retry — with one line naming the endpoint and the setting to
// check, and the exit code of its kind: a setting that contradicts the
// server (http vs https, a certificate) is 2, access 6, an unreachable
// server or a missing bucket 5. Real servers: MinIO, a closed port, a name
// under .invalid, Go's TLS test server. Each used to be retried for
// --retry-deadline (two minutes by default) with nothing shown, after the
// input was listed; a missing bucket was found only after all the input
// was read.
func TestBadEndpointsFailFast(t *testing.T) {
	minio := storagetest.S3Config(t)
	bucket, _ := storagetest.NewBucket(t)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	tlsAddr := strings.TrimPrefix(tlsSrv.URL, "https://")
	closed := storagetest.ClosedAddr(t)

	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "100"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	keys := []string{"LOGSMITH_S3_ACCESS_KEY=" + minio.AccessKey, "LOGSMITH_S3_SECRET_KEY=" + minio.SecretKey, "LOGSMITH_S3_REGION=us-east-1"}
	out := "s3://" + bucket.Bucket() + "/features"
	cases := []struct {
		name   string
		env    []string
		output string
		code   int
		want   []string // in the error line
	}{
		{"connection refused", []string{"LOGSMITH_S3_ENDPOINT=" + closed, "LOGSMITH_S3_INSECURE=true"}, out, 5,
			[]string{"http://" + closed, "unreachable", "LOGSMITH_S3_ENDPOINT"}},
		{"name does not resolve", []string{"LOGSMITH_S3_ENDPOINT=logsmith-nowhere.invalid:9000", "LOGSMITH_S3_INSECURE=true"}, out, 5,
			[]string{"http://logsmith-nowhere.invalid:9000", "unreachable", "LOGSMITH_S3_ENDPOINT"}},
		{"https to a plain http server", []string{"LOGSMITH_S3_ENDPOINT=" + minio.Endpoint}, out, 2,
			[]string{"https://" + minio.Endpoint, "plain http", "LOGSMITH_S3_INSECURE=true"}},
		{"http to a TLS server", []string{"LOGSMITH_S3_ENDPOINT=" + tlsAddr, "LOGSMITH_S3_INSECURE=true"}, out, 2,
			[]string{"http://" + tlsAddr, "speaks https", "unset LOGSMITH_S3_INSECURE"}},
		{"untrusted certificate", []string{"LOGSMITH_S3_ENDPOINT=" + tlsAddr}, out, 2,
			[]string{"https://" + tlsAddr, "certificate", "LOGSMITH_S3_CA_FILE"}},
		{"wrong credentials", []string{"LOGSMITH_S3_ENDPOINT=" + minio.Endpoint, "LOGSMITH_S3_INSECURE=true", "LOGSMITH_S3_SECRET_KEY=wrong"}, out, 6,
			[]string{"output " + out, "http://" + minio.Endpoint, "LOGSMITH_S3_SECRET_KEY"}},
		{"missing bucket", []string{"LOGSMITH_S3_ENDPOINT=" + minio.Endpoint, "LOGSMITH_S3_INSECURE=true"}, "s3://logsmith-no-such-bucket/features", 5,
			[]string{"bucket logsmith-no-such-bucket does not exist at endpoint http://" + minio.Endpoint}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append(append([]string{}, keys...), c.env...)
			// A deadline that a retried call would spend, in full,
			// before failing: the test then fails on the retry lines.
			_, stderr, code := exe(t, env, "run", "--input", "file://"+logs, "--output", c.output, "--retry-deadline", "3s")
			line := lastLine(stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, line)
			}
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("error line lacks %q: %s", w, line)
				}
			}
			if strings.Contains(stderr, "retrying") {
				t.Errorf("retried:\n%s", stderr)
			}
			if strings.Contains(stderr, `"run start"`) {
				t.Errorf("listed its input before it found the output unusable:\n%s", stderr)
			}
		})
	}

	// The same for an input: its bucket is probed before it is listed.
	t.Run("missing input bucket", func(t *testing.T) {
		env := append(append([]string{}, keys...), "LOGSMITH_S3_ENDPOINT="+minio.Endpoint, "LOGSMITH_S3_INSECURE=true")
		_, stderr, code := exe(t, env, "run", "--input", "s3://logsmith-no-such-bucket/logs/", "--output", filepath.Join(dir, "f"), "--retry-deadline", "3s")
		line := lastLine(stderr)
		if code != 5 || !strings.Contains(line, "input s3://logsmith-no-such-bucket/logs/") ||
			!strings.Contains(line, "bucket logsmith-no-such-bucket does not exist at endpoint http://"+minio.Endpoint) {
			t.Errorf("exit %d: %s", code, line)
		}
	})

	// An Iceberg run into a missing bucket fails before it opens its
	// catalog: no namespace (here: not even the SQLite file) is left.
	t.Run("iceberg into a missing bucket", func(t *testing.T) {
		env := append(append([]string{}, keys...), "LOGSMITH_S3_ENDPOINT="+minio.Endpoint, "LOGSMITH_S3_INSECURE=true")
		cat := filepath.Join(dir, "catalog", "cat.db")
		_, stderr, code := exe(t, env, "run", "--input", "file://"+logs, "--output", "s3://logsmith-no-such-bucket/wh",
			"--table-format", "iceberg", "--iceberg-catalog", "sqlite://"+cat, "--retry-deadline", "3s")
		line := lastLine(stderr)
		if code != 5 || !strings.Contains(line, "bucket logsmith-no-such-bucket does not exist") {
			t.Errorf("exit %d: %s", code, line)
		}
		if _, err := os.Stat(cat); !os.IsNotExist(err) {
			t.Errorf("the catalog was opened (and its namespace created) before the bucket was checked: %v", err)
		}
	})
}

// A storage call that fails and is retried says so while it happens, in
// the log, with the attempt and the error; the run then succeeds. MinIO
// behind a proxy that answers the first five requests with 503 Slow Down.
func TestRetriesAreLogged(t *testing.T) {
	minio := storagetest.S3Config(t)
	bucket, _ := storagetest.NewBucket(t)
	up, _ := url.Parse("http://" + minio.Endpoint)
	rp := httputil.NewSingleHostReverseProxy(up)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 5 { // more than minio-go's own retries absorb
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "100"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	env := []string{"LOGSMITH_S3_ACCESS_KEY=" + minio.AccessKey, "LOGSMITH_S3_SECRET_KEY=" + minio.SecretKey, "LOGSMITH_S3_REGION=us-east-1",
		"LOGSMITH_S3_ENDPOINT=" + strings.TrimPrefix(srv.URL, "http://"), "LOGSMITH_S3_INSECURE=true"}
	_, stderr, code := exe(t, env, "run", "--input", "file://"+logs, "--output", "s3://"+bucket.Bucket()+"/features")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `"msg":"storage call failed; retrying","attempt":1`) || !strings.Contains(stderr, "reduce your request rate") {
		t.Errorf("the retry is not in the log with its attempt and error:\n%s", stderr)
	}
}
