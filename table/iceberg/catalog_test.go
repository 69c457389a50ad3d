package iceberg_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
	"github.com/logsmith/logsmith/table/iceberg"
)

// TestOpenRefuses checks that bad settings are refused with an error that
// names them, before anything is written.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	sqlite := "sqlite://" + filepath.Join(dir, "c.db")
	for _, tc := range []struct {
		name string
		o    iceberg.Options
		want string
	}{
		{"no catalog", iceberg.Options{Warehouse: dir}, `iceberg catalog ""`},
		{"unknown scheme", iceberg.Options{Catalog: "mysql://x", Warehouse: dir}, `iceberg catalog "mysql://x"`},
		{"no sqlite path", iceberg.Options{Catalog: "sqlite://", Warehouse: dir}, "no file path"},
		{"no warehouse", iceberg.Options{Catalog: sqlite}, "no warehouse"},
		{"s3 without bucket", iceberg.Options{Catalog: sqlite, Warehouse: "s3:///x"}, "no bucket"},
		{"other scheme", iceberg.Options{Catalog: sqlite, Warehouse: "gs://b/x"}, "want a folder or s3://"},
		{"CA file", iceberg.Options{Catalog: sqlite, Warehouse: "s3://b/x", S3: storage.S3Config{CAFile: "/ca.pem"}}, "CA file"},
		{"REST server down", iceberg.Options{Catalog: "http://127.0.0.1:1/catalog", Warehouse: dir}, "open iceberg catalog http://127.0.0.1:1/catalog"},
		{"postgres password hidden", iceberg.Options{Catalog: "postgres://u:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=1", Warehouse: dir}, "open iceberg catalog postgres://u:xxxxx@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := iceberg.Open(context.Background(), tc.o)
			if err == nil {
				c.Close()
				t.Fatalf("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q, want it to contain %q (and no password)", err, tc.want)
			}
		})
	}
}

// TestTLSMinIO commits to and reads from a warehouse on a MinIO served
// over https with a self-signed certificate, trusted through S3.CAFile.
func TestTLSMinIO(t *testing.T) {
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{TLS: true})
	cfg := m.Config()
	if cfg.CAFile == "" || cfg.Insecure {
		t.Fatalf("not a TLS server: %+v", cfg)
	}
	ctx := context.Background()
	b, err := storage.NewS3(cfg, "tls-lake")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	o := iceberg.Options{Catalog: "sqlite://" + filepath.Join(t.TempDir(), "c.db"), Warehouse: "s3://tls-lake/lake", S3: cfg}
	c := open(t, o)
	tb := table5m(t, c)
	d := "2025-11-08"
	h, err := tb.CommitDate(ctx, d, genRows(d, 5, 1), meta(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, "over TLS", readDates(t, tb, 0, fullCols)[d], genRows(d, 5, 1))
	if _, err := tb.ReadFile(ctx, h.Inputs); err != nil {
		t.Errorf("ledger: %v", err)
	}
	if _, err := tb.GC(ctx, iceberg.GCOptions{}); err != nil {
		t.Fatal(err)
	}
	// Without the CA file the server's certificate is not trusted.
	o.S3.CAFile = ""
	c2 := open(t, o)
	if _, err := c2.Table(ctx, win5m, fullCols); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("opened the table over TLS without trusting the server's CA: %v", err)
	}
}

// A catalog opened with NoCreate creates nothing: on a fresh namespace it
// lists no tables and leaves the namespace (and a SQLite catalog file)
// absent; opened normally afterwards, the namespace is there, and a table
// created then is listed through NoCreate.
func TestOpenNoCreate(t *testing.T) {
	setups(t, func(t *testing.T, s setup) {
		ctx := context.Background()
		// The catalog's own tables exist (a run has written to it), so
		// that what is checked is the namespace; a database without them
		// is TestIcebergReadCommandsCreateNothing's (cmd/logsmith).
		setUp := s.opts
		setUp.Namespace = randName("setup")
		if strings.HasPrefix(s.opts.Catalog, "sqlite:") {
			missing := s.opts
			path := filepath.Join(t.TempDir(), "none", "catalog.db")
			missing.Catalog, missing.NoCreate = "sqlite://"+path, true
			if c, err := iceberg.Open(ctx, missing); err == nil {
				c.Close()
				t.Fatal("NoCreate opened a SQLite catalog that does not exist")
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("NoCreate made %s: %v", path, err)
			}
		}
		open(t, setUp)
		ro := s.opts
		ro.Namespace, ro.NoCreate = randName("nc"), true // a namespace no catalog has yet
		c := open(t, ro)
		names, err := c.Tables(ctx)
		if err != nil || len(names) != 0 {
			t.Fatalf("tables of a fresh namespace: %v, %v", names, err)
		}
		if ok, err := c.Raw().CheckNamespaceExists(ctx, c.Ident("")[:1]); err != nil || ok {
			t.Fatalf("namespace exists after NoCreate: %v, %v", ok, err)
		}
		rwOpts := ro
		rwOpts.NoCreate = false
		rw := open(t, rwOpts)
		if _, err := rw.Table(ctx, win5m, fullCols); err != nil {
			t.Fatal(err)
		}
		if names, err := c.Tables(ctx); err != nil || len(names) != 1 {
			t.Fatalf("tables through NoCreate after one was created: %v, %v", names, err)
		}
	})
}
