package storagetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/collectors"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/logsmith/logsmith/storage"
)

// MinIO is a MinIO server a test starts, kills and restarts on its own,
// always on 127.0.0.1.
type MinIO struct {
	t        testing.TB
	bin      string
	dataDir  string
	certsDir string
	Addr     string // 127.0.0.1:port
	User     string
	Password string
	cmd      *exec.Cmd
}

// MinIOOptions configure StartMinIO.
type MinIOOptions struct {
	Password string // root password; a fixed test value when empty
	TLS      bool   // serve https with a self-signed certificate (see CAFile)
}

// StartMinIO starts a private MinIO server with a fresh data folder and
// stops it when the test ends. The binary comes from LOGSMITH_MINIO_BIN, as
// scripts/test.sh exports it; without it the test skips, or fails in CI.
func StartMinIO(t testing.TB, o MinIOOptions) *MinIO {
	t.Helper()
	bin := os.Getenv("LOGSMITH_MINIO_BIN")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but LOGSMITH_MINIO_BIN is unset: run the tests through scripts/test.sh")
		}
		t.Skip("LOGSMITH_MINIO_BIN unset: run scripts/test.sh to include tests that start their own MinIO")
	}
	m := &MinIO{t: t, bin: bin, dataDir: t.TempDir(), User: "logsmith-test", Password: o.Password}
	if m.Password == "" {
		m.Password = "logsmith-test-secret"
	}
	if o.TLS {
		m.certsDir = t.TempDir()
		writeSelfSigned(t, m.certsDir)
	}
	m.Addr = freeAddr(t)
	m.Start()
	t.Cleanup(m.Kill)
	return m
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts (or restarts) the server on its address and data folder and
// waits until it is healthy.
func (m *MinIO) Start() {
	m.t.Helper()
	args := []string{"server", "--quiet", "--address", m.Addr, "--console-address", freeAddr(m.t)}
	if m.certsDir != "" {
		args = append(args, "--certs-dir", m.certsDir)
	}
	m.cmd = exec.Command(m.bin, append(args, m.dataDir)...)
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+m.User, "MINIO_ROOT_PASSWORD="+m.Password, "MINIO_BROWSER=off")
	m.cmd.Stdout, m.cmd.Stderr = nil, nil
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start minio: %v", err)
	}
	scheme := "http"
	client := &http.Client{Timeout: time.Second}
	if m.certsDir != "" {
		scheme = "https"
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // health probe of our own test server
	}
	for range 200 {
		resp, err := client.Get(scheme + "://" + m.Addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Kill()
	m.t.Fatal("minio did not become healthy in 20s")
}

// Kill stops the server at once (SIGKILL), as a crash would.
func (m *MinIO) Kill() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGKILL)
		_ = m.cmd.Wait()
		m.cmd = nil
	}
}

// Config returns the settings to reach the server.
func (m *MinIO) Config() storage.S3Config {
	c := storage.S3Config{Endpoint: m.Addr, Region: "us-east-1", AccessKey: m.User, SecretKey: m.Password, Insecure: true}
	if m.certsDir != "" {
		c.Insecure = false
		c.CAFile = m.CAFile()
	}
	return c
}

// CAFile is the PEM certificate a TLS server was started with.
func (m *MinIO) CAFile() string { return filepath.Join(m.certsDir, "public.crt") }

// writeSelfSigned makes a certificate for 127.0.0.1 in MinIO's layout.
func writeSelfSigned(t testing.TB, dir string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "logsmith test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("public.crt", "CERTIFICATE", der)
	write("private.key", "EC PRIVATE KEY", kb)
}

// Proxy is a toxiproxy TCP proxy in front of an address, for injecting
// latency, bandwidth limits, truncation, resets and stalls.
type Proxy struct {
	p *toxiproxy.Proxy
	t testing.TB
}

// NewProxy starts an in-process toxiproxy on 127.0.0.1 forwarding to
// upstream, and stops it when the test ends.
func NewProxy(t testing.TB, upstream string) *Proxy {
	t.Helper()
	zerolog.SetGlobalLevel(zerolog.WarnLevel) // toxics log every interruption at trace level
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	srv.Metrics.ProxyMetrics = collectors.NewProxyMetricCollectors()
	p := toxiproxy.NewProxy(srv, "minio", "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("start toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &Proxy{p: p, t: t}
}

// Addr is where clients connect.
func (p *Proxy) Addr() string { return p.p.Listen }

// Add adds a toxic affecting a share (toxicity, 0 to 1) of connections,
// e.g. Add("lat", "latency", "downstream", 1, `{"latency":200}`).
func (p *Proxy) Add(name, typ, stream string, toxicity float64, attrs string) {
	p.t.Helper()
	body := fmt.Sprintf(`{"name":%q,"type":%q,"stream":%q,"toxicity":%g,"attributes":%s}`, name, typ, stream, toxicity, attrs)
	if _, err := p.p.Toxics.AddToxicJson(strings.NewReader(body)); err != nil {
		p.t.Fatalf("add toxic %s: %v", name, err)
	}
}

// Remove removes a toxic.
func (p *Proxy) Remove(name string) {
	p.t.Helper()
	if err := p.p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		p.t.Fatalf("remove toxic %s: %v", name, err)
	}
}
