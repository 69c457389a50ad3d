package iceberg_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
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
