package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// --parquet-compression reaches the committed Parquet files: every column
// chunk of every file says the codec asked for, with the default's rows.
func TestParquetCompressionReachesTheFiles(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "3000"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	var rows []int64
	for _, tc := range []struct {
		name  string
		codec format.CompressionCodec
	}{{"zstd", format.Zstd}, {"zstd-fastest", format.Zstd}, {"snappy", format.Snappy}, {"none", format.Uncompressed}} {
		out := filepath.Join(dir, tc.name)
		if _, stderr, code := exe(t, nil, "run", "--input", logs, "--output", out, "--parquet-compression", tc.name); code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, code, stderr)
		}
		files, _ := filepath.Glob(filepath.Join(out, "date=*", "*.parquet"))
		if len(files) == 0 {
			t.Fatalf("%s: no Parquet file", tc.name)
		}
		var n int64
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			n += pf.NumRows()
			for _, rg := range pf.Metadata().RowGroups {
				for _, c := range rg.Columns {
					if c.MetaData.Codec != tc.codec {
						t.Errorf("%s: column %v is %v, want %v", f, c.MetaData.PathInSchema, c.MetaData.Codec, tc.codec)
					}
				}
			}
		}
		rows = append(rows, n)
		if n == 0 || n != rows[0] {
			t.Errorf("%s: %d rows, the default wrote %d", tc.name, n, rows[0])
		}
	}
}
