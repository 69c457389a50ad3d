package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"time"
)

// criMaxLine is the longest content of one CRI log line: kubelet's
// --container-log-max-line-size default, which containerd and CRI-O apply
// (16 KiB); a longer line is written as P (partial) lines and a final F.
const criMaxLine = 16 * 1024

// genCRI writes Kubernetes container logs in the CRI logging format, by its
// specification, since the runtimes' writers are not importable and stamp
// time.Now():
// https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md
// (kubelet's reader: pkg/kubelet/kuberuntime/logs/logs.go, parseCRILog).
//
// Each line is "<time> <stream> <P|F> <content>\n". containerd writes the
// time with Go's RFC3339Nano (trailing zeros cut, "Z"); CRI-O's conmon
// writes nine fraction digits and a "+00:00" offset. Each pod is rotated as
// kubelet rotates: 0.log.<yyyymmdd-hhmmss>.gz, 0.log.<yyyymmdd-hhmmss>, then
// 0.log. Partial lines of stdout and stderr interleave.
func genCRI(dir string) (*truth, error) {
	r := newRNG(0xc41)
	tr := &truth{}
	pods := []struct {
		folder string
		stamp  func(time.Time) string
		rotate []time.Time // rotation instants
	}{
		{"default_checkout-7d9f8c-x2x9q_5f1c2a9e-7b3d-4c8e-9a1f-2b3c4d5e6f70/checkout",
			func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
			[]time.Time{start.Add(40*time.Minute + 12*time.Second), start.Add(80*time.Minute + 30*time.Second), start.Add(110*time.Minute + 3*time.Second)}},
		{"payments_ledger-0_0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/ledger",
			func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000") + "+00:00" },
			nil},
	}
	for pi, pod := range pods {
		var files [][]byte
		var cur bytes.Buffer
		rot := pod.rotate
		line := func(t time.Time, stream, tag string, content []byte) {
			fmt.Fprintf(&cur, "%s %s %s ", pod.stamp(t), stream, tag)
			cur.Write(content)
			cur.WriteByte('\n')
		}
		for i, t := range times(r, 90, time.Nanosecond) {
			for len(rot) > 0 && !t.Before(rot[0]) {
				files = append(files, bytes.Clone(cur.Bytes()))
				cur.Reset()
				rot = rot[1:]
			}
			stream := "stdout"
			if r.chance(0.25) {
				stream = "stderr"
			}
			if i != 20 {
				ev := newAppEvent(r, t, true, false)
				line(t, stream, "F", ev.line)
				tr.add(t, ev.level, ev.latency, 0, none)
				continue
			}
			// Over 16 KiB: P lines, with the other stream's lines between.
			ev := bigAppEvent(r, t, 2*criMaxLine+3000)
			if pi == 1 {
				ev = appEvent{line: []byte("Exception in thread \"main\" java.lang.IllegalStateException: "), level: "info", latency: none}
				for len(ev.line) < criMaxLine+2500 {
					ev.line = append(ev.line, "\\n\\tat com.example.Ledger.post(Ledger.java:"+r.digits(3)+")"...)
				}
			}
			te := t
			for off := 0; off < len(ev.line); off += criMaxLine {
				end := min(off+criMaxLine, len(ev.line))
				tag := "P"
				if end == len(ev.line) {
					tag = "F"
				}
				line(te, stream, tag, ev.line[off:end])
				if tag == "P" {
					other := "stderr"
					if stream == "stderr" {
						other = "stdout"
					}
					to := te.Add(time.Duration(r.between(1000, 40000)))
					oe := newAppEvent(r, to, true, false)
					line(to, other, "F", oe.line)
					tr.add(to, oe.level, oe.latency, 0, none)
					te = to.Add(time.Duration(r.between(1000, 40000)))
				}
			}
			// The event's time is its first part's; all parts are written
			// within a millisecond, never across a window boundary here.
			if t.Truncate(5*time.Minute) != te.Truncate(5*time.Minute) {
				return nil, fmt.Errorf("partial line at %v crosses a window", t)
			}
			tr.add(t, ev.level, ev.latency, 0, none)
		}
		files = append(files, cur.Bytes())
		base := filepath.Join(dir, "input", "var", "log", "pods", filepath.FromSlash(pod.folder))
		for i, data := range files {
			name := "0.log"
			if i < len(files)-1 {
				name += "." + pod.rotate[i].Format("20060102-150405")
				if i < len(files)-2 {
					name, data = name+".gz", gz(data) // kubelet compresses all but the newest rotated file
				}
			}
			if err := writeFile(filepath.Join(base, name), data); err != nil {
				return nil, err
			}
		}
	}
	return tr, nil
}
