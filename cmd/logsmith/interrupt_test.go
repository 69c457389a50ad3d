package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"

	"github.com/logsmith/logsmith/storage/storagetest"
)

// visibleLines returns the lines a terminal shows after out is written to
// it: a carriage return moves back to the start of the line, ESC [K erases
// from the cursor to its end, other runes overwrite what is there.
func visibleLines(out string) []string {
	var lines []string
	for _, raw := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n") {
		var line []rune
		cur := 0
		rs := []rune(raw)
		for i := 0; i < len(rs); i++ {
			switch {
			case rs[i] == '\r':
				cur = 0
			case rs[i] == 0x1b && i+2 < len(rs) && rs[i+1] == '[' && rs[i+2] == 'K':
				line = line[:cur]
				i += 2
			default:
				if cur < len(line) {
					line[cur] = rs[i]
				} else {
					line = append(line, rs[i])
				}
				cur++
			}
		}
		lines = append(lines, strings.TrimRight(string(line), " "))
	}
	return lines
}

// On a terminal, every log record and the final message start a line of
// their own: none is written after the progress display's text, also when
// Ctrl-C interrupts a commit, and the display's last state (the phase
// interrupted) stays on a finished line above the message. The display used
// to leave its line unfinished: records read "⠋ building tables  [0s]
// time=… level=INFO …".
// The run's store is a real MinIO behind a proxy that passes a kilobyte a
// second towards it, so the commit's uploads are still under way when the
// test, having seen the display name the commit, sends SIGINT.
func TestInterruptOnTerminalStartsItsOwnLine(t *testing.T) {
	m := storagetest.StartMinIO(t, storagetest.MinIOOptions{})
	proxy := storagetest.NewProxy(t, m.Addr)
	proxy.Add("slow-up", "bandwidth", "upstream", 1, `{"rate":1}`) // KB/s towards MinIO
	c := m.Config()
	c.Endpoint = proxy.Addr()
	// generate creates the bucket, straight to MinIO.
	if _, stderr, code := exe(t, s3Env(m.Config()), "generate", "--output", "s3://term/seed", "--objects", "1", "--lines", "1"); code != 0 {
		t.Fatal(stderr)
	}
	logs := filepath.Join(t.TempDir(), "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "20000", "--start", "2025-11-07T00:00:00Z", "--days", "2"); code != 0 {
		t.Fatal(stderr)
	}
	// The backfill's first date is committed already (straight to MinIO):
	// the backfill skips it and shows its display while the next commits.
	if _, stderr, code := exe(t, s3Env(m.Config()), "backfill", "--input", logs+"/{yyyy}/{mm}/{dd}/", "--output", "s3://term/backfill", "--from", "2025-11-07", "--to", "2025-11-07"); code != 0 {
		t.Fatal(stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		at   string // what the display shows when the signal is sent
	}{
		{"run", []string{"run", "--input", logs + "/{yyyy}/{mm}/{dd}/", "--output", "s3://term/run", "--date", "2025-11-08"}, "committing"},
		{"backfill", []string{"backfill", "--input", logs + "/{yyyy}/{mm}/{dd}/", "--output", "s3://term/backfill", "--from", "2025-11-07", "--to", "2025-11-08"}, "dates"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, s3Env(c)...)
			tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
			if err != nil {
				t.Fatal(err)
			}
			defer tty.Close()
			var out bytes.Buffer
			buf := make([]byte, 4096)
			sent := false
			for {
				n, rerr := tty.Read(buf)
				out.Write(buf[:n])
				if !sent && strings.Contains(out.String(), tc.at) {
					if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
						t.Fatal(err)
					}
					sent = true
				}
				if rerr != nil {
					if !errors.Is(rerr, io.EOF) && !errors.Is(rerr, syscall.EIO) {
						t.Fatal(rerr)
					}
					break
				}
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !sent || !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("signalled %v, exit %v, want 130; terminal:\n%q", sent, err, out.String())
			}
			lines := visibleLines(out.String())
			last, before := "", ""
			for _, l := range lines {
				if l == "" {
					continue
				}
				before, last = last, l
				if i := max(strings.Index(l, "level="), strings.Index(l, "logsmith:")); i > 0 && !strings.HasPrefix(l, "time=") {
					t.Errorf("a record after other text on its line: %q", l)
				}
			}
			if !strings.HasPrefix(last, "logsmith: interrupted") {
				t.Errorf("last line shown %q, want the interrupt message; terminal:\n%q", last, out.String())
			}
			// A run's display keeps, on its own line, the phase it was
			// interrupted in (a backfill prints its table of dates).
			if tc.name == "run" && !strings.Contains(before, tc.at) {
				t.Errorf("line before the interrupt message %q, want the display naming %q", before, tc.at)
			}
		})
	}
}
