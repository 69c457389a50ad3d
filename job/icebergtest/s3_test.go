package icebergtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// The production shape: the warehouse on S3 (MinIO) and a PostgreSQL
// catalog (both real servers, started by scripts/test.sh). Every cell of
// the committed table equals the hive layout's Parquet of the same input.
func TestIcebergOnMinIOWithPostgres(t *testing.T) {
	pg := storagetest.PostgresURL(t)
	st, s3 := storagetest.NewBucket(t)
	bucket := st.Bucket()
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "t" + hex.EncodeToString(b[:])
	env := map[string]string{"LOGSMITH_WINDOW": "5m", "LOGSMITH_ICEBERG_CATALOG": pg, "LOGSMITH_ICEBERG_NAMESPACE": ns,
		"LOGSMITH_S3_ENDPOINT": s3.Endpoint, "LOGSMITH_S3_REGION": s3.Region, "LOGSMITH_S3_ACCESS_KEY": s3.AccessKey,
		"LOGSMITH_S3_SECRET_KEY": s3.SecretKey, "LOGSMITH_S3_INSECURE": "true"}
	in := setup(t)
	hiveOut := t.TempDir()
	if _, err := job.Run(context.Background(), config(t, in, hiveOut, map[string]string{"LOGSMITH_WINDOW": "5m"}), job.Options{}); err != nil {
		t.Fatal(err)
	}
	cfg := iceConfig(t, in, "s3://"+bucket+"/warehouse", env)
	sum, err := job.Run(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Partitions[0].SnapshotID == 0 {
		t.Fatalf("summary %+v: no snapshot id", sum.Partitions)
	}
	tb, err := open(t, &cfg).OpenTable(context.Background(), "features_5m")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := tb.Files(context.Background(), 0)
	if err != nil || len(fs) == 0 {
		t.Fatalf("files %v, %v", fs, err)
	}
	// DuckDB reads local files here (no httpfs offline): copy each data
	// file the snapshot lists out of MinIO.
	var local []string
	for _, f := range fs {
		u, err := url.Parse(f.URL)
		if err != nil || u.Scheme != "s3" {
			t.Fatalf("data file %s: want an s3:// URL", f.URL)
		}
		s, err := storage.NewS3(s3, u.Host)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(context.Background(), strings.TrimPrefix(u.Path, "/"), 0)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), filepath.Base(u.Path))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		local = append(local, p)
	}
	got := rows(t, local)
	want := rows(t, []string{filepath.Join(hiveOut, "date="+date, "part-00000.parquet")})
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%d Iceberg rows on MinIO differ from the %d hive rows", len(got), len(want))
	}
}
