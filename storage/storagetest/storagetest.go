package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/logsmith/logsmith/storage"
)

// Store is the surface the conformance suite exercises: the whole
// storage contract. A store that is also a storage.DirLister has its
// folder listing checked too.
type Store interface {
	storage.Store
	storage.ListedOpener
	storage.Uploader
	storage.ConditionalDeleter
}

// ClosedAddr returns a 127.0.0.1 address where nothing listens: an
// endpoint that refuses connections.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// S3Config returns the settings of the test MinIO server from the
// environment scripts/test.sh exports. Outside CI it skips the test when no
// server is configured, saying why; in CI (CI=true) it fails instead.
func S3Config(t testing.TB) storage.S3Config {
	t.Helper()
	if os.Getenv("LOGSMITH_TEST_S3") == "" || os.Getenv("LOGSMITH_S3_ENDPOINT") == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but no MinIO configured: run the tests through scripts/test.sh")
		}
		t.Skip("no MinIO configured (LOGSMITH_TEST_S3 unset): run scripts/test.sh to include S3 tests")
	}
	return storage.S3Config{
		Endpoint:  os.Getenv("LOGSMITH_S3_ENDPOINT"),
		Region:    os.Getenv("LOGSMITH_S3_REGION"),
		AccessKey: os.Getenv("LOGSMITH_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("LOGSMITH_S3_SECRET_KEY"),
		Insecure:  os.Getenv("LOGSMITH_S3_INSECURE") == "true",
	}
}

// PostgresURL returns the URL of the test PostgreSQL server (an Iceberg
// SQL catalog's database) scripts/test.sh starts with scripts/postgres.sh.
// Like S3Config, outside CI it skips the test when there is none, saying
// why; in CI it fails instead.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("LOGSMITH_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI=true but LOGSMITH_TEST_POSTGRES is unset: run the tests through scripts/test.sh")
		}
		t.Skip("no PostgreSQL configured (LOGSMITH_TEST_POSTGRES unset): run scripts/test.sh, or eval \"$(scripts/postgres.sh start)\"")
	}
	return u
}

// NewBucket creates a fresh, uniquely named bucket on the test server and
// returns a store for it.
func NewBucket(t testing.TB) (*storage.S3, storage.S3Config) {
	t.Helper()
	cfg := S3Config(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	s, err := storage.NewS3(cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return s, cfg
}

// NewVersionedBucket is NewBucket with versioning enabled on the bucket.
func NewVersionedBucket(t testing.TB) (*storage.S3, storage.S3Config) {
	t.Helper()
	s, cfg := NewBucket(t)
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: !cfg.Insecure, Region: cfg.Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnableVersioning(context.Background(), s.Bucket()); err != nil {
		t.Fatalf("enable versioning of %s: %v", s.Bucket(), err)
	}
	return s, cfg
}
