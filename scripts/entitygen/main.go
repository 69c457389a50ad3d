// Command entitygen copies JSON-lines logs, adding to each line the entity
// fields e10, e1k, e10k and e100k: values k0 ... kN-1 drawn uniformly
// (seeded, so the same input gives the same bytes). scripts/scalebench.sh
// uses them to measure --group-by at 10 to 100,000 groups per window.
//
//	entitygen SRC DST      every *.jsonl under SRC, to the same path under DST
package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: entitygen SRC DST")
		os.Exit(2)
	}
	src, dst := os.Args[1], os.Args[2]
	seed := uint64(0)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		seed++
		return copyFile(path, filepath.Join(dst, rel), seed)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "entitygen:", err)
		os.Exit(1)
	}
}

func copyFile(from, to string, seed uint64) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 27))
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	var line []byte
	for sc.Scan() {
		b := sc.Bytes()
		if len(b) == 0 || b[len(b)-1] != '}' {
			w.Write(b)
			w.WriteByte('\n')
			continue
		}
		line = append(line[:0], b[:len(b)-1]...)
		for _, f := range []struct {
			name string
			n    int
		}{{"e10", 10}, {"e1k", 1000}, {"e10k", 10000}, {"e100k", 100000}} {
			line = append(line, `,"`...)
			line = append(line, f.name...)
			line = append(line, `":"k`...)
			line = strconv.AppendInt(line, int64(r.IntN(f.n)), 10)
			line = append(line, '"')
		}
		line = append(line, "}\n"...)
		w.Write(line)
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return fmt.Errorf("read %s: %w", from, err)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
