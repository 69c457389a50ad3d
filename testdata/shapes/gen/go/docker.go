package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/backend"
	"github.com/docker/docker/daemon/logger"
	"github.com/docker/docker/daemon/logger/jsonfilelog"
)

// partialSize is where Docker's log copier (daemon/logger/copier.go,
// defaultBufSize) cuts a line that has no newline yet.
const partialSize = 16 * 1024

// genDocker writes two containers' logs with Docker's own json-file driver
// (moby's daemon/logger/jsonfilelog, the code dockerd runs). The messages
// are cut as the daemon's copier cuts them: a line longer than 16 KiB
// becomes partial messages of 16 KiB, all stamped with the first part's
// time, the last one carrying the newline; another stream's line can land
// between them. The copier itself stamps time.Now(), so the generator plays
// its part with the plan's clock and hands the messages to the driver.
func genDocker(dir string) (*truth, error) {
	r := newRNG(0xd0c4e5)
	tr := &truth{}
	containers := []struct {
		id, name string
		labels   map[string]string
		config   map[string]string
	}{
		{"3f4e1a9b2c7d8e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", "/checkout",
			map[string]string{"app": "checkout"}, map[string]string{"labels": "app", "max-size": "48k", "max-file": "10", "compress": "true"}},
		{"9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", "/worker", nil, map[string]string{"max-size": "48k", "max-file": "10", "compress": "true"}},
	}
	for ci, c := range containers {
		path := filepath.Join(dir, "input", "containers", c.id, c.id+"-json.log")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		l, err := jsonfilelog.New(logger.Info{
			Config: c.config, ContainerID: c.id, ContainerName: c.name,
			ContainerLabels: c.labels, LogPath: path,
		})
		if err != nil {
			return nil, err
		}
		logLine := func(line []byte, source string, t time.Time, partial *backend.PartialLogMetaData) error {
			m := logger.NewMessage()
			m.Line = append(m.Line, line...)
			m.Source, m.Timestamp, m.PLogMetaData = source, t, partial
			return l.Log(m)
		}
		for i, t := range times(r, 100, time.Nanosecond) {
			t = t.Add(time.Duration(r.between(0, 999))) // dockerd stamps ns
			source := "stdout"
			if r.chance(0.2) {
				source = "stderr"
			}
			if i != 40 {
				ev := newAppEvent(r, t, true, false)
				if err := logLine(ev.line, source, t, nil); err != nil {
					return nil, err
				}
				tr.add(t, ev.level, ev.latency, 0, none)
				continue
			}
			// A line over 16 KiB: JSON in container 0, a text dump in 1.
			var ev appEvent
			if ci == 0 {
				ev = bigAppEvent(r, t, 2*partialSize+5000)
			} else {
				ev = appEvent{line: []byte("heap dump: "), level: "info", latency: none}
				for len(ev.line) < partialSize+3000 {
					ev.line = append(ev.line, r.hex(64)+" "...)
				}
			}
			id := r.hex(64)
			for n, off := 1, 0; off < len(ev.line); n, off = n+1, off+partialSize {
				end := min(off+partialSize, len(ev.line))
				meta := &backend.PartialLogMetaData{ID: id, Ordinal: n, Last: end == len(ev.line)}
				if err := logLine(ev.line[off:end], "stdout", t, meta); err != nil {
					return nil, err
				}
				if n == 1 { // the other stream's copier writes in between
					te := t.Add(time.Duration(r.between(1000, 90000)))
					other := newAppEvent(r, te, true, false)
					if err := logLine(other.line, "stderr", te, nil); err != nil {
						return nil, err
					}
					tr.add(te, other.level, other.latency, 0, none)
				}
			}
			tr.add(t, ev.level, ev.latency, 0, none)
		}
		if err := l.Close(); err != nil {
			return nil, err
		}
		if err := checkRotation(filepath.Dir(path), 10); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// checkRotation makes sure the driver's rotation (max-size, compress) lost
// nothing and cut no partial message from its last part: fewer files than
// max-file, and each file ends on a complete line. It reads the files only
// to check the fixture, never to make the truth.
func checkRotation(dir string, maxFiles int) error {
	files, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(files) >= maxFiles {
		return fmt.Errorf("%s: %d files: rotation may have dropped one", dir, len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			return err
		}
		if filepath.Ext(f.Name()) == ".gz" {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return err
			}
			if data, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		var last struct{ Log string }
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if err := json.Unmarshal(sc.Bytes(), &last); err != nil {
				return fmt.Errorf("%s: %v", f.Name(), err)
			}
		}
		if last.Log == "" || last.Log[len(last.Log)-1] != '\n' {
			return fmt.Errorf("%s ends inside a partial message: choose another max-size", f.Name())
		}
	}
	return nil
}
