package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logsmith/logsmith/features"
)

func main() {
	dir := flag.String("dir", "", "folder of log objects")
	mode := flag.String("mode", "decompress", "read or decompress")
	workers := flag.Int("workers", 2, "files in flight")
	flag.Parse()
	var files []string
	_ = filepath.WalkDir(*dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "benchfloor: no files under", *dir)
		os.Exit(2)
	}
	start := time.Now()
	var total atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			var d features.Decompressor // the build's own inflater (features.Inflater)
			defer d.Close()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				n, err := readOne(&d, files[i], *mode, buf)
				if err != nil {
					fmt.Fprintln(os.Stderr, "benchfloor:", err)
					os.Exit(1)
				}
				total.Add(n)
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("%d %.4f %s\n", total.Load(), secs, features.Inflater())
}

// readOne reads a file whole, or its content through features.Decompressor
// (codec detection and the head check included, as a run reads an object).
func readOne(d *features.Decompressor, path, mode string, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = f
	if mode == "decompress" {
		if r, _, err = d.Open(f); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	return io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
}
