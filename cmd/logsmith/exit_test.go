package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unprivileged runs the built binary as a user that file permissions
// apply to: as nobody when the tests run as root (root passes every
// permission check), else as the current user. dir, its files and the
// binary are made reachable to that user.
type unprivileged struct {
	t      *testing.T
	binary string
	cred   *syscall.Credential
}

func newUnprivileged(t *testing.T, dir string) *unprivileged {
	t.Helper()
	u := &unprivileged{t: t, binary: binary}
	if os.Getuid() != 0 {
		return u
	}
	u.cred = &syscall.Credential{Uid: 65534, Gid: 65534}
	// The binary and dir sit in folders only root may enter: copy the
	// binary into dir, and open dir's ancestors to others for traversal.
	u.binary = filepath.Join(dir, "logsmith")
	src, err := os.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(u.binary, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	for p := dir; p != filepath.Dir(p); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o005); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, fi.Mode().Perm()) })
		}
	}
	return u
}

func (u *unprivileged) run(args ...string) (stderr string, code int) {
	u.t.Helper()
	cmd := exec.Command(u.binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: u.cred}
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		u.t.Fatal(err)
	}
	return e.String(), code
}

// lastLine returns the last line of stderr.
func lastLine(stderr string) string {
	s := strings.TrimSpace(stderr)
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// Issue 13 item 7: "cannot create or write the output" is one outcome,
// exit 6, whether the output folder is missing under a folder we may not
// write, exists but may not be written, or cannot be a folder because a
// file is in the way.
func TestOutputNotWritableIsOneExitCode(t *testing.T) {
	dir, err := os.MkdirTemp("", "logsmith-perm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "ro"), 0o755); os.RemoveAll(dir) })
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "300"); code != 0 {
		t.Fatal(stderr)
	}
	ro := filepath.Join(dir, "ro")
	if err := os.MkdirAll(filepath.Join(ro, "exists"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	u := newUnprivileged(t, dir)
	// A control: the unprivileged user can read the input and write an
	// output it owns, so the failures below are the output's.
	writable := filepath.Join(dir, "writable")
	if err := os.Mkdir(writable, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(writable, 0o777); err != nil {
		t.Fatal(err)
	}
	if stderr, code := u.run("run", "--input", logs, "--output", filepath.Join(writable, "out"), "--date", "2025-11-08"); code != 0 {
		t.Fatalf("control run: exit %d: %s", code, stderr)
	}
	if err := os.Chmod(filepath.Join(ro, "exists"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, out string }{
		{"missing, under a read-only folder", filepath.Join(ro, "new")},
		{"existing, read-only", filepath.Join(ro, "exists")},
		{"a file in the way", filepath.Join(file, "out")},
		{"an existing file", file},
	} {
		for _, cmd := range [][]string{
			{"run", "--input", logs, "--output", tc.out, "--date", "2025-11-08"},
			{"generate", "--output", tc.out, "--objects", "1", "--lines", "10"},
		} {
			stderr, code := u.run(cmd...)
			if code != 6 || !strings.Contains(lastLine(stderr), "access denied") {
				t.Errorf("%s: %s: exit %d, stderr %q; want exit 6, access denied", tc.name, cmd[0], code, stderr)
			}
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(ro, "exists")); len(entries) != 0 {
		t.Errorf("files written into the read-only output: %v", entries)
	}
}

// A missing local input is one outcome too: exit 5 (no input objects),
// whether or not its parent folder is writable (it was 6 under a read-only
// one, where creating it failed), and the run creates no folder in its
// input.
func TestMissingLocalInputIsNotCreated(t *testing.T) {
	dir, err := os.MkdirTemp("", "logsmith-missing")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "ro"), 0o755); os.RemoveAll(dir) })
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o777); err != nil {
		t.Fatal(err)
	}
	u := newUnprivileged(t, dir)
	writable := filepath.Join(out, "none")
	for _, in := range []string{writable, filepath.Join(ro, "none"), filepath.Join(ro, "none") + "/{yyyy}/{mm}/{dd}/"} {
		stderr, code := u.run("run", "--input", in, "--output", filepath.Join(out, "f"), "--date", "2025-11-08")
		if code != 5 || !strings.Contains(lastLine(stderr), "no input objects") {
			t.Errorf("input %s: exit %d, stderr %q; want 5 and no input objects", in, code, stderr)
		}
	}
	for _, p := range []string{writable, filepath.Join(ro, "none")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the run created its missing input %s: %v", p, err)
		}
	}
}

// Issue 13 item 6: a symlink in a local input fails the run with exit 3
// and one line naming it, whether it points to a file, a folder, nowhere
// or out of the input; nothing is committed.
func TestSymlinkInInputFailsTheRun(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "300"); code != 0 {
		t.Fatal(stderr)
	}
	day := filepath.Join(logs, "2025", "11", "08")
	entries, err := os.ReadDir(day)
	if err != nil || len(entries) == 0 {
		t.Fatalf("generated logs: %v %v", entries, err)
	}
	outside := filepath.Join(dir, "outside.jsonl")
	if err := os.WriteFile(outside, jsonLines(5), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, target string }{
		{"to a file", entries[0].Name()},
		{"to a folder", "."},
		{"dangling", "nowhere.jsonl"},
		{"out of the input", outside},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := filepath.Join(day, "link.jsonl")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(link)
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(tc.name, " ", "-"))
			for _, in := range []string{logs, logs + "/{yyyy}/{mm}/{dd}/"} {
				_, stderr, code := exe(t, nil, "run", "--input", in, "--output", out, "--date", "2025-11-08")
				last := lastLine(stderr)
				if code != 3 || !strings.Contains(last, "link.jsonl") || !strings.Contains(last, "symlink") {
					t.Errorf("--input %s: exit %d, last line %q; want 3 naming the symlink", in, code, last)
				}
			}
			if _, stdout, _ := exe(t, nil, "ls", "--output", out); strings.Contains(stdout, "2025-11-08") {
				t.Errorf("a partition was committed: %s", stdout)
			}
		})
	}
	// The input folder itself may be reached through a symlink.
	alias := filepath.Join(dir, "alias")
	if err := os.Symlink(logs, alias); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exe(t, nil, "run", "--input", alias, "--output", filepath.Join(dir, "out-alias"), "--date", "2025-11-08"); code != 0 {
		t.Errorf("input through a symlinked folder: exit %d: %s", code, stderr)
	}
}

// "Cannot create the output" is exit 6 whatever the file system says, as
// root too: ENOENT from a file system that creates nothing (/proc/sys), a
// name too long (ENAMETOOLONG), a file on the path (ENOTDIR), a symlink
// loop (ELOOP). Each used to be exit 5 (after retries) or 6 by the errno.
func TestOutputThatCannotBeCreatedIsExit6(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "100"); code != 0 {
		t.Fatal(stderr)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{
		"a name too long":       filepath.Join(dir, strings.Repeat("n", 300)),
		"a path too long":       filepath.Join(dir, strings.Repeat("p/", 2100)),
		"a file on the path":    filepath.Join(file, "out"),
		"a symlink loop":        filepath.Join(loop, "out"),
		"a folder under /proc":  "/proc/sys/logsmith-x",
		"a folder under /proc/": "/proc/logsmith-x/y",
	}
	if _, err := os.Stat("/proc/sys"); err != nil {
		delete(outs, "a folder under /proc")
		delete(outs, "a folder under /proc/")
	}
	for name, out := range outs {
		for _, cmd := range [][]string{
			{"run", "--input", logs, "--output", out, "--date", "2025-11-08", "--retry-deadline", "20s"},
			{"generate", "--output", out, "--objects", "1", "--lines", "10"},
		} {
			start := time.Now()
			_, stderr, code := exe(t, nil, cmd...)
			if code != 6 || !strings.Contains(lastLine(stderr), "access denied") {
				t.Errorf("%s: %s: exit %d, last line %q; want exit 6, access denied", name, cmd[0], code, lastLine(stderr))
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("%s: %s took %v: retried", name, cmd[0], d)
			}
		}
	}
}
