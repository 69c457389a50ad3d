package readback

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/logsmith/logsmith/features"
)

// Every Parquet compression reads back in DuckDB as the same rows as the
// default, from a file whose every column chunk names that codec.
func TestParquetCompressionsReadBackAlike(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	codecs := map[features.ParquetCompression]string{
		features.ParquetZstd: "ZSTD", features.ParquetZstdFastest: "ZSTD",
		features.ParquetSnappy: "SNAPPY", features.ParquetUncompressed: "UNCOMPRESSED",
	}
	if len(codecs) != len(features.ParquetCompressions) {
		t.Fatalf("the test knows %d compressions, features has %v", len(codecs), features.ParquetCompressions)
	}
	dir := t.TempDir()
	for date, rows := range days(t) {
		var want string
		files := map[string]features.ParquetCompression{}
		for _, comp := range features.ParquetCompressions {
			var buf bytes.Buffer
			pw := features.NewParquetWriterCompressed(&buf, cols, nil, comp)
			if err := pw.Write(rows); err != nil {
				t.Fatal(err)
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, fmt.Sprintf("%s-%s.parquet", date, comp))
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			files[string(buf.Bytes())] = comp
			got := fmt.Sprint(read(t, db, "read_parquet("+lit(name)+")"))
			if comp == features.ParquetZstd {
				want = got
			} else if got != want {
				t.Errorf("%s, %s: DuckDB reads other rows than from the zstd file", date, comp)
			}
			var chunks int
			var codec string
			if err := db.QueryRow("SELECT count(*), string_agg(DISTINCT compression, ',') FROM parquet_metadata("+lit(name)+")").Scan(&chunks, &codec); err != nil {
				t.Fatal(err)
			}
			if chunks != len(cols.Schema()) || codec != codecs[comp] {
				t.Errorf("%s, %s: %d column chunks, codecs %s; want %d, %s", date, comp, chunks, codec, len(cols.Schema()), codecs[comp])
			}
		}
		if len(files) != len(features.ParquetCompressions) {
			t.Errorf("%s: %d distinct files from %d compressions", date, len(files), len(features.ParquetCompressions))
		}
	}
}
