package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
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
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				n, err := readOne(files[i], *mode, buf)
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
	fmt.Printf("%d %.4f\n", total.Load(), secs)
}

func readOne(path, mode string, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = f
	if mode == "decompress" {
		br := bufio.NewReaderSize(f, 256<<10)
		head, _ := br.Peek(4)
		switch {
		case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
			zr, err := gzip.NewReader(br)
			if err != nil {
				return 0, err
			}
			r = zr
		case len(head) >= 4 && head[0] == 0x28 && head[1] == 0xb5:
			zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return 0, err
			}
			defer zr.Close()
			r = zr
		default:
			r = br
		}
	}
	return io.CopyBuffer(io.Discard, r, buf)
}
