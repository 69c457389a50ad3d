package objio_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// An endpoint that cannot be talked with — a closed port, a name that does
// not resolve, TLS against plain http and back, an untrusted certificate —
// and a bucket refused or missing fail the first call at once, each as its
// sentinel, with no retry, and the probe names the endpoint. Real servers
// all: MinIO, a closed port on 127.0.0.1, a name under .invalid, and Go's
// TLS test server for a TLS endpoint. They used to be retried until
// --retry-deadline (2 minutes by default), silently.
func TestEndpointsThatCannotHealFailAtOnce(t *testing.T) {
	minio := storagetest.S3Config(t)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	tlsAddr := strings.TrimPrefix(tlsSrv.URL, "https://")
	_, cfg := storagetest.NewBucket(t)
	existing := func() string { // a bucket that exists on MinIO
		s, _ := storagetest.NewBucket(t)
		return s.Bucket()
	}()
	_ = cfg
	wrongSecret := minio
	wrongSecret.SecretKey = "not-the-secret"
	httpsToPlain := minio
	httpsToPlain.Insecure = false
	cases := []struct {
		name     string
		cfg      storage.S3Config
		bucket   string
		want     error
		endpoint string
	}{
		{"connection refused", storage.S3Config{Endpoint: storagetest.ClosedAddr(t), Insecure: true, AccessKey: "a", SecretKey: "b"}, "logsmith-b", storage.ErrUnreachable, "http://127.0.0.1:"},
		{"name does not resolve", storage.S3Config{Endpoint: "logsmith-nowhere.invalid:9000", Insecure: true, AccessKey: "a", SecretKey: "b"}, "logsmith-b", storage.ErrUnreachable, "http://logsmith-nowhere.invalid:9000"},
		{"https to plain http", httpsToPlain, existing, storage.ErrMisconfigured, "https://" + minio.Endpoint},
		{"http to TLS", storage.S3Config{Endpoint: tlsAddr, Insecure: true, AccessKey: "a", SecretKey: "b"}, "logsmith-b", storage.ErrMisconfigured, "http://" + tlsAddr},
		{"untrusted certificate", storage.S3Config{Endpoint: tlsAddr, AccessKey: "a", SecretKey: "b"}, "logsmith-b", storage.ErrMisconfigured, "https://" + tlsAddr},
		{"wrong credentials", wrongSecret, existing, storage.ErrPermission, "http://" + minio.Endpoint},
		{"no such bucket", minio, "logsmith-no-such-bucket", storage.ErrNotExist, "http://" + minio.Endpoint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.MaxRetries = 1 // minio-go's own retries: not ours to count
			s, err := storage.NewS3(c.cfg, c.bucket)
			if err != nil {
				t.Fatal(err)
			}
			var retries atomic.Int64
			var heard []string
			var mu sync.Mutex
			// A deadline long enough for several retries, short enough
			// that a retried call fails the test rather than hangs it.
			p := objio.Policy{Deadline: 3 * time.Second, Retries: &retries, OnRetry: func(n int, err error, _ time.Duration) {
				mu.Lock()
				heard = append(heard, err.Error())
				mu.Unlock()
			}}
			ctx := context.Background()
			for _, call := range []struct {
				op string
				fn func(b *objio.Bucket) error
			}{
				{"probe", func(b *objio.Bucket) error { return b.Probe(ctx, "logs/") }},
				{"list", func(b *objio.Bucket) error {
					return b.List(ctx, "logs/", func(storage.ObjectInfo) error { return nil })
				}},
				{"stat", func(b *objio.Bucket) error { _, err := b.Stat(ctx, "logs/x"); return err }},
			} {
				b := objio.New(s, p) // a fresh bucket: the call is its first
				err := call.fn(b)
				if !errors.Is(err, c.want) {
					t.Errorf("%s: %v, want %v", call.op, err, c.want)
				}
				if call.op == "probe" && (err == nil || !strings.Contains(err.Error(), c.endpoint)) {
					t.Errorf("probe: %v: does not name the endpoint %s", err, c.endpoint)
				}
				if call.op == "stat" && errors.Is(c.want, storage.ErrNotExist) {
					continue
				}
				if n := retries.Load(); n != 0 {
					t.Errorf("%s: retried %d times (%q), want none", call.op, n, heard)
				}
			}
		})
	}
}

// forwarder is a TCP proxy to a real server that can be stopped (nothing
// listens: connection refused) and started again on the same address, as
// a server that restarts.
type forwarder struct {
	addr, to string
	mu       sync.Mutex
	l        net.Listener
	conns    []net.Conn
}

func (f *forwarder) start(t *testing.T) {
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.l, f.addr = l, l.Addr().String()
	f.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", f.to)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, u)
			f.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

func (f *forwarder) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.l.Close()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

// Once the server has answered, an unreachable server is retried as any
// transient fault (a server restarting): the call succeeds when it is back.
func TestUnreachableAfterFirstAnswerIsRetried(t *testing.T) {
	s0, cfg := storagetest.NewBucket(t)
	fw := &forwarder{addr: "127.0.0.1:0", to: cfg.Endpoint}
	fw.start(t)
	defer fw.stop()
	cfg.Endpoint = fw.addr
	cfg.MaxRetries = 1
	s, err := storage.NewS3(cfg, s0.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	var retries atomic.Int64
	var heard atomic.Int64
	p := objio.Policy{Deadline: time.Minute, Retries: &retries, OnRetry: func(n int, err error, _ time.Duration) {
		if heard.Add(1) == 1 {
			if !errors.Is(err, storage.ErrUnreachable) {
				t.Errorf("retried %v, want ErrUnreachable", err)
			}
			fw.start(t) // the server is back
		}
	}}
	b := objio.New(s, p)
	ctx := context.Background()
	if err := b.Probe(ctx, ""); err != nil {
		t.Fatal(err)
	}
	fw.stop()
	if _, err := b.Stat(ctx, "x"); !errors.Is(err, storage.ErrNotExist) {
		t.Fatalf("stat after the restart: %v, want ErrNotExist (the server's answer)", err)
	}
	if retries.Load() == 0 || heard.Load() == 0 {
		t.Errorf("retries %d, OnRetry heard %d: want the unreachable server retried", retries.Load(), heard.Load())
	}
}
