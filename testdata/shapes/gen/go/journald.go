package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// journalRemote is where Debian's systemd-journal-remote package installs
// the tool that turns the journal export format into a journal file.
var journalRemote = []string{"/lib/systemd/systemd-journal-remote", "/usr/lib/systemd/systemd-journal-remote"}

// genJournald writes `journalctl -o json` output made by journalctl
// itself: the entries are written in the Journal Export Format
// (https://systemd.io/JOURNAL_EXPORT_FORMATS/), stored in a journal file
// by systemd-journal-remote (which keeps their __REALTIME_TIMESTAMP,
// __MONOTONIC_TIMESTAMP and _BOOT_ID), and read back by journalctl --file
// -o json, one file per host. journalctl prints an entry's members in hash
// table order, seeded at random per process, and the cursor's s= is the
// journal file's random sequence number id; so that reruns give the same
// bytes, each line's members are put in name order and s= is fixed. The
// values are journalctl's bytes, untouched: strings, arrays for repeated
// fields, __REALTIME_TIMESTAMP as a string of microseconds.
func genJournald(dir string) (*truth, error) {
	remote := ""
	for _, p := range journalRemote {
		if _, err := os.Stat(p); err == nil {
			remote = p
		}
	}
	if remote == "" {
		return nil, errors.New("systemd-journal-remote is missing: apt-get install systemd-journal-remote")
	}
	r := newRNG(0x10a7)
	tr := &truth{}
	tmp, err := os.MkdirTemp("", "logsmith-gen-journald")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	type unit struct{ ident, unit, comm, transport string }
	units := []unit{
		{"nginx", "nginx.service", "nginx", "stdout"},
		{"sshd", "ssh.service", "sshd", "syslog"},
		{"kernel", "", "", "kernel"},
		{"checkout", "checkout.service", "checkout", "journal"},
	}
	messages := map[string][]string{
		"nginx":    {"worker process 1234 exited on signal 9", "upstream timed out (110: Connection timed out) while reading response header", "GET /healthz 200"},
		"sshd":     {"Accepted publickey for deploy from 203.0.113.7 port 52144 ssh2: ED25519 SHA256:9xq", "Invalid user admin from 198.51.100.9 port 40022", "pam_unix(sshd:session): session opened for user deploy(uid=1001)"},
		"kernel":   {"Out of memory: Killed process 4242 (java) total-vm:8123456kB", "EXT4-fs (nvme0n1p1): re-mounted. Quota mode: none.", "TCP: request_sock_TCP: Possible SYN flooding on port 443."},
		"checkout": {"order placed", "Bestellung bestätigt ✓ — 注文を受け付けました", "payment provider timeout\n\tat charge (pay.js:41)\n\tat process (queue.js:7)"},
	}
	for hi, host := range []string{"web-1", "web-2"} {
		boot := fmt.Sprintf("%032x", uint64(0x5eed0000+hi))
		bootTime := start.Add(-time.Duration(3+hi) * 24 * time.Hour)
		var export bytes.Buffer
		field := func(name, value string) {
			if strings.ContainsAny(value, "\n") { // binary-safe form
				export.WriteString(name + "\n")
				binary.Write(&export, binary.LittleEndian, uint64(len(value)))
				export.WriteString(value + "\n")
				return
			}
			export.WriteString(name + "=" + value + "\n")
		}
		for _, t := range times(r, 90, time.Microsecond) {
			u := pick(r, units)
			prio := pick(r, []int{6, 6, 6, 6, 5, 7, 4, 4, 3, 2, 1, 0})
			field("__REALTIME_TIMESTAMP", strconv.FormatInt(t.UnixMicro(), 10))
			field("__MONOTONIC_TIMESTAMP", strconv.FormatInt(t.Sub(bootTime).Microseconds(), 10))
			field("_BOOT_ID", boot)
			field("_MACHINE_ID", fmt.Sprintf("%032x", uint64(0xacce55+hi)))
			field("_HOSTNAME", host)
			field("PRIORITY", strconv.Itoa(prio))
			field("_TRANSPORT", u.transport)
			if u.ident == "kernel" {
				field("SYSLOG_FACILITY", "0")
				field("SYSLOG_IDENTIFIER", "kernel")
			} else {
				field("SYSLOG_FACILITY", "3")
				field("SYSLOG_IDENTIFIER", u.ident)
				field("_PID", strconv.FormatInt(r.between(300, 40000), 10))
				field("_UID", "0")
				field("_COMM", u.comm)
				field("_SYSTEMD_UNIT", u.unit)
			}
			if u.ident == "checkout" && r.chance(0.3) {
				field("TAG", "payments") // a field given twice: journalctl prints an array
				field("TAG", "eu")
			}
			field("MESSAGE", pick(r, messages[u.ident]))
			export.WriteByte('\n')
			class := "info"
			switch {
			case prio <= 3:
				class = "error"
			case prio == 4:
				class = "warn"
			}
			tr.add(t, class, none, 0, none)
		}
		jf := filepath.Join(tmp, host+".journal")
		cmd := exec.Command(remote, "-o", jf, "-")
		cmd.Stdin = &export
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("systemd-journal-remote: %v: %s", err, out)
		}
		cmd = exec.Command("journalctl", "--file", jf, "-o", "json", "--no-pager")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("journalctl: %v", err)
		}
		canon, err := canonicalJournal(out)
		if err != nil {
			return nil, err
		}
		name := "journal-2025-11-08.json"
		if hi == 1 { // shipped as `journalctl -o json | gzip`
			name, canon = name+".gz", gz(canon)
		}
		if err := writeFile(filepath.Join(dir, "input", host, name), canon); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

var cursorSeqnumID = regexp.MustCompile(`"s=[0-9a-f]{32};`)

// canonicalJournal puts each line's members in name order, keeping every
// value's bytes as journalctl wrote them, and fixes the cursor's random
// sequence number id.
func canonicalJournal(out []byte) ([]byte, error) {
	var b bytes.Buffer
	for line := range bytes.Lines(out) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("journalctl wrote %q: %v", line, err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(mustJSON(k))
			b.WriteByte(':')
			v := m[k]
			if k == "__CURSOR" {
				v = cursorSeqnumID.ReplaceAll(v, []byte(`"s=00000000000000000000000000000001;`))
			}
			b.Write(v)
		}
		b.WriteString("}\n")
	}
	return b.Bytes(), nil
}
