package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/logsmith/logsmith/internal/testbin"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

var binary string

func TestMain(m *testing.M) {
	testbin.Main(m, &binary, ".", "-ldflags", "-X main.version=v0.0.0-test")
}

// exe runs the built binary with only the given environment.
func exe(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runProgram(t, env, binary, args...)
}

// runProgram runs the program bin with only the given environment (PATH and a
// fresh HOME besides) and returns what it printed and its exit code.
func runProgram(t *testing.T, env []string, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestVersion(t *testing.T) {
	out, _, code := exe(t, nil, "--version")
	if code != 0 || !strings.Contains(out, "logsmith v0.0.0-test") || !strings.Contains(out, "go1.") || !strings.Contains(out, "gzip inflater: go") {
		t.Errorf("--version: %d %q", code, out)
	}
}

func TestHelpListsEveryEnvName(t *testing.T) {
	out, _, code := exe(t, []string{"LOGSMITH_S3_SECRET_KEY=hunter2-distinctive"}, "run", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"LOGSMITH_INPUT", "--window", "5m", "LOGSMITH_S3_ENDPOINT", "LOGSMITH_S3_SECRET_KEY", "set in the environment, not shown"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Error("help printed the secret key")
	}
}

func TestBadConfigFailsBeforeIO(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	tests := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"run", "--input", in, "--output", out, "--window", "7m"}, "LOGSMITH_WINDOW (--window)"},
		{[]string{"LOGSMITH_WORKERS=lots"}, []string{"run", "--input", in, "--output", out}, "LOGSMITH_WORKERS"},
		{nil, []string{"run", "--workers", "lots", "--input", in, "--output", out}, "LOGSMITH_WORKERS (--workers)"},
		{nil, []string{"run", "--input", in}, "LOGSMITH_OUTPUT"},
		{nil, []string{"run", "--input", in, "--output", out, "--format", "xlsx"}, "LOGSMITH_FORMAT"},
		{nil, []string{"run", "--input", in, "--output", out, "--format", "csv,csv"}, "LOGSMITH_FORMAT (--format)"},
		{nil, []string{"run", "--input", in, "--output", out, "--parquet-compression", "gzip"}, "LOGSMITH_PARQUET_COMPRESSION (--parquet-compression)"},
		{[]string{"LOGSMITH_PARQUET_COMPRESSION=ZSTD"}, []string{"run", "--input", in, "--output", out}, "LOGSMITH_PARQUET_COMPRESSION"},
		{nil, []string{"run", "--input", in, "--output", out, "--table-format", "iceberg", "--parquet-compression", "snappy"}, "LOGSMITH_PARQUET_COMPRESSION (--parquet-compression)"},
		{[]string{"LOGSMITH_WINDOW=5m"}, []string{"run", "--input", in, "--output", out, "--window", "5m", "--window", "300s"}, "LOGSMITH_WINDOW (--window)"},
		{nil, []string{"run", "--input", dir, "--output", out}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"run", "--input", out + "/{yyyy}/{mm}/{dd}/", "--output", out}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"backfill", "--input", dir + "/{yyyy}/", "--output", out, "--from", "2025-11-08", "--to", "2025-11-09"}, "LOGSMITH_OUTPUT (--output)"},
		{nil, []string{"run", "--bogus"}, "bogus"},
		{nil, []string{"frobnicate"}, "unknown command"},
		{nil, []string{"generate", "--output", out, "--gzip", "--zstd"}, "LOGSMITH_ZSTD"},
	}
	for _, tt := range tests {
		_, stderr, code := exe(t, append(tt.env, "LOGSMITH_S3_SECRET_KEY=hunter2-distinctive"), tt.args...)
		last := strings.TrimSpace(stderr)
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		if code != 2 || !strings.HasPrefix(last, "logsmith: ") || !strings.Contains(last, tt.want) {
			t.Errorf("%v: exit %d, last line %q; want exit 2 naming %s", tt.args, code, last, tt.want)
		}
		if strings.Contains(stderr, "hunter2") {
			t.Errorf("%v: stderr shows the secret", tt.args)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output folder created despite bad config: %v", err)
	}
}

func TestGenerateAndRunLocal(t *testing.T) {
	dir := t.TempDir()
	logs, feats := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "3", "--lines", "2000", "--zstd"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := exe(t, []string{"LOGSMITH_FORMAT=csv"}, "run", "--input", "file://"+logs, "--output", feats, "--format", "parquet,csv", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	var sum struct {
		Objects int      `json:"objects"`
		Lines   int64    `json:"lines"`
		Files   []string `json:"files"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("--json output %q: %v", stdout, err)
	}
	if sum.Objects != 3 || sum.Lines != 6000 || len(sum.Files) < 2 {
		t.Errorf("summary = %+v", sum)
	}
	for _, f := range sum.Files {
		if _, err := os.Stat(filepath.Join(feats, f)); err != nil {
			t.Errorf("summary names %s: %v", f, err)
		}
	}
	// The info line on stderr is JSON (not a terminal) and carries the summary.
	if !strings.Contains(stderr, `"msg":"run done"`) {
		t.Errorf("stderr lacks the run summary log line: %s", stderr)
	}
}

func TestBackfillLsShow(t *testing.T) {
	dir := t.TempDir()
	logs, feats := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "500", "--days", "2", "--start", "2025-11-08T00:00:00Z"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	tmpl := logs + "/{yyyy}/{mm}/{dd}/"
	// 2025-11-10 has no logs: that date fails, the others are committed, exit is non-zero.
	stdout, stderr, code := exe(t, nil, "backfill", "--input", tmpl, "--output", feats, "--from", "2025-11-08", "--to", "2025-11-10", "--parallel", "2")
	if code != 5 || !strings.Contains(stdout, "2025-11-08  committed") || !strings.Contains(stdout, "2025-11-10  failed") ||
		!strings.Contains(stdout, "no input objects") {
		t.Fatalf("backfill: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, _, code = exe(t, nil, "backfill", "--input", tmpl, "--output", feats, "--from", "2025-11-08", "--to", "2025-11-09")
	if code != 0 || strings.Count(stdout, "skipped") != 2 {
		t.Fatalf("re-run backfill: exit %d\n%s", code, stdout)
	}
	stdout, _, code = exe(t, nil, "ls", "--output", feats)
	if code != 0 || !strings.Contains(stdout, "2025-11-08") || !strings.Contains(stdout, "2025-11-09") || strings.Contains(stdout, "2025-11-10") {
		t.Fatalf("ls: exit %d\n%s", code, stdout)
	}
	stdout, _, code = exe(t, nil, "show", "--output", feats, "--date", "2025-11-09")
	var m struct {
		Date  string `json:"date"`
		RunID string `json:"run_id"`
		Rows  int    `json:"rows"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &m) != nil || m.Date != "2025-11-09" || m.RunID == "" || m.Rows != 288 {
		t.Fatalf("show: exit %d %+v\n%s", code, m, stdout)
	}
	if _, stderr, code := exe(t, nil, "show", "--output", feats, "--date", "2025-11-10"); code != 5 {
		t.Errorf("show of an uncommitted date: exit %d: %s", code, stderr)
	}
	// Several window specs: ls and show see every table.
	multi := filepath.Join(dir, "multi")
	if _, stderr, code := exe(t, nil, "run", "--input", tmpl, "--output", multi, "--date", "2025-11-08", "--window", "5m", "--window", "1h"); code != 0 {
		t.Fatal(stderr)
	}
	stdout, _, _ = exe(t, nil, "ls", "--output", multi)
	if !strings.Contains(stdout, "5m  ") || !strings.Contains(stdout, "1h  ") {
		t.Errorf("ls of two tables:\n%s", stdout)
	}
	stdout, _, code = exe(t, nil, "run", "--input", tmpl, "--output", multi, "--date", "2025-11-08", "--window", "5m,1h", "--skip-committed", "--json")
	if code != 0 || strings.Count(stdout, `"status":"skipped"`) != 2 {
		t.Errorf("--skip-committed over two tables: exit %d\n%s", code, stdout)
	}
	stdout, _, code = exe(t, nil, "show", "--output", multi, "--date", "2025-11-08")
	if code != 0 || strings.Count(stdout, `"manifest_version"`) != 2 {
		t.Errorf("show of two tables: exit %d\n%s", code, stdout)
	}
}

func s3Env(c storage.S3Config) []string {
	return []string{"LOGSMITH_S3_ENDPOINT=" + c.Endpoint, "LOGSMITH_S3_INSECURE=true", "LOGSMITH_S3_REGION=us-east-1",
		"LOGSMITH_S3_ACCESS_KEY=" + c.AccessKey, "LOGSMITH_S3_SECRET_KEY=" + c.SecretKey}
}

// A distinctive secret never appears in any output: stdout, stderr (debug
// logs included), summaries, errors, manifests or rejects.
func TestSecretsNeverPrinted(t *testing.T) {
	const secret = "Zebra-S3cret-77813-unique"
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{Password: secret})
	env := append(s3Env(m.Config()), "LOGSMITH_LOG_LEVEL=debug")
	var all strings.Builder
	for _, args := range [][]string{
		{"generate", "--output", "s3://sec/logs", "--objects", "2", "--lines", "500", "--bad-ratio", "0.005"},
		{"run", "--input", "s3://sec/logs/", "--output", "s3://sec/out", "--json"},
		{"run", "--input", "s3://sec/logs/", "--output", "s3://sec/out"},
		{"run", "--input", "s3://missing-bucket/logs/", "--output", "s3://sec/out2"},
		{"run", "--input", "s3://sec/logs/", "--output", "s3://sec/out3", "--max-bad-ratio", "0"},
		{"run", "--help"},
		{"ls", "--output", "s3://sec/out"},
		{"show", "--output", "s3://sec/out", "--date", "2025-11-08"},
	} {
		stdout, stderr, _ := exe(t, env, args...)
		all.WriteString(stdout + stderr)
	}
	wrong := append(s3Env(m.Config()), "LOGSMITH_S3_SECRET_KEY="+secret+"-wrong")
	stdout, stderr, code := exe(t, wrong, "run", "--input", "s3://sec/logs/", "--output", "s3://sec/out4")
	if code != 6 {
		t.Errorf("wrong secret: exit %d, want 6: %s", code, stderr)
	}
	all.WriteString(stdout + stderr)
	st, err := storage.NewS3(m.Config(), "sec")
	if err != nil {
		t.Fatal(err)
	}
	err = st.List(context.Background(), "out", func(o storage.ObjectInfo) error {
		rc, err := st.Open(context.Background(), o.Key, 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		all.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(all.String(), "_manifest") && !strings.Contains(all.String(), "manifest_version") {
		t.Fatal("no manifest content was scanned")
	}
	if strings.Contains(all.String(), "Zebra-S3cret") {
		t.Error("the secret key appears in the output")
	}
}

// SIGTERM mid-run: prompt exit with the interrupted code, nothing committed,
// no run files left.
func TestSIGTERMMidRun(t *testing.T) {
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{})
	env := s3Env(m.Config())
	if _, stderr, code := exe(t, env, "generate", "--output", "s3://sig/logs", "--objects", "4", "--lines", "20000"); code != 0 {
		t.Fatal(stderr)
	}
	proxy := storagetest.NewProxy(t, m.Addr)
	proxy.Add("slow", "bandwidth", "downstream", 1, `{"rate":500}`) // KB/s: the run takes many seconds
	c := m.Config()
	c.Endpoint = proxy.Addr()
	cmd := exec.Command(binary, "run", "--input", "s3://sig/logs/", "--output", "s3://sig/out", "--date", "2025-11-08")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, s3Env(c)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130; stderr:\n%s", err, stderr.String())
	}
	if took > 5*time.Second {
		t.Errorf("took %v after SIGTERM to exit", took)
	}
	last := strings.TrimSpace(stderr.String())
	last = last[strings.LastIndexByte(last, '\n')+1:]
	if !strings.Contains(last, "interrupted") {
		t.Errorf("last stderr line %q", last)
	}
	st, _ := storage.NewS3(m.Config(), "sig")
	n := 0
	_ = st.List(context.Background(), "out/", func(o storage.ObjectInfo) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d objects under the output after SIGTERM, want none", n)
	}
}

// The binary pushes its metrics when LOGSMITH_PUSHGATEWAY_URL is set, also
// for a failed run, and a dead Pushgateway does not change the exit code.
func TestRunPushesMetrics(t *testing.T) {
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.Path)
	}))
	defer srv.Close()
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "100")
	env := []string{"LOGSMITH_PUSHGATEWAY_URL=" + srv.URL}
	if _, stderr, code := exe(t, env, "run", "--input", logs, "--output", filepath.Join(dir, "out")); code != 0 {
		t.Fatal(stderr)
	}
	if _, _, code := exe(t, env, "run", "--input", filepath.Join(dir, "none"), "--output", filepath.Join(dir, "out")); code != 5 {
		t.Errorf("failed run: exit %d", code)
	}
	if len(paths) != 2 || paths[0] != "POST /metrics/job/logsmith/mode/daily" {
		t.Errorf("pushes = %v", paths)
	}
	dead := []string{"LOGSMITH_PUSHGATEWAY_URL=http://127.0.0.1:1"}
	if _, stderr, code := exe(t, dead, "run", "--input", logs, "--output", filepath.Join(dir, "out2")); code != 0 || !strings.Contains(stderr, "push metrics") {
		t.Errorf("dead pushgateway: exit %d, stderr %s", code, stderr)
	}
}

// Credentials that authenticate but lack permission: temporary credentials
// from MinIO's STS with a restrictive session policy, given the standard
// AWS variables (so this also exercises the fallback from the LOGSMITH_S3_*
// keys to the AWS environment). One line, exit 6, nothing committed.
func TestNoPermission(t *testing.T) {
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{})
	env := s3Env(m.Config())
	if _, stderr, code := exe(t, env, "generate", "--output", "s3://perm/logs", "--objects", "1", "--lines", "200"); code != 0 {
		t.Fatal(stderr)
	}
	assume := func(policy string) []string {
		creds, err := credentials.NewSTSAssumeRole("http://"+m.Addr, credentials.STSAssumeRoleOptions{
			AccessKey: m.User, SecretKey: m.Password, Policy: policy, Location: "us-east-1"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := creds.GetWithContext(&credentials.CredContext{Client: http.DefaultClient})
		if err != nil {
			t.Fatalf("assume role: %v", err)
		}
		return []string{"LOGSMITH_S3_ENDPOINT=" + m.Addr, "LOGSMITH_S3_INSECURE=true", "LOGSMITH_S3_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=" + v.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + v.SecretAccessKey, "AWS_SESSION_TOKEN=" + v.SessionToken}
	}
	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::perm","arn:aws:s3:::perm/*"]}]}`
	nothing := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation"],"Resource":["arn:aws:s3:::perm"]}]}`
	for _, tc := range []struct{ name, policy, out string }{
		{"cannot list or read", nothing, "s3://perm/out1"},
		{"cannot write the output", readOnly, "s3://perm/out2"},
	} {
		start := time.Now()
		_, stderr, code := exe(t, assume(tc.policy), "run", "--input", "s3://perm/logs/", "--output", tc.out)
		last := strings.TrimSpace(stderr)
		last = last[strings.LastIndexByte(last, '\n')+1:]
		if code != 6 || !strings.Contains(last, "access denied") {
			t.Errorf("%s: exit %d, last line %q; want 6 and access denied", tc.name, code, last)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", tc.name, d)
		}
	}
	st, _ := storage.NewS3(m.Config(), "perm")
	n := 0
	_ = st.List(context.Background(), "out", func(storage.ObjectInfo) error { n++; return nil })
	if n != 0 {
		t.Errorf("%d objects written without permission", n)
	}
}
