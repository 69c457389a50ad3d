package job

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

// Standard input takes the path of every other input; what differs is that
// it can be read once. A broken or damaged stream is reported like a
// damaged object and, at the default --max-bad-ratio, fails the run.
func TestStdinIsOneMoreInput(t *testing.T) {
	line := `{"timestamp":"2025-11-08T10:00:00Z","level":"INFO","latency_ms":12}` + "\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(line, 200)))
	zw.Close()
	cut := errors.New("pipe broke")
	for _, tc := range []struct {
		name  string
		stdin io.Reader
		kind  failure.Kind
		want  string
	}{
		{"plain", strings.NewReader(strings.Repeat(line, 3)), failure.KindBug, ""},
		{"gzip", bytes.NewReader(gz.Bytes()), failure.KindBug, ""},
		{"truncated gzip", bytes.NewReader(gz.Bytes()[:gz.Len()-10]), failure.KindHalt, "damaged"},
		{"not text", bytes.NewReader([]byte{0x50, 0x4b, 3, 4, 0, 0}), failure.KindHalt, "damaged"},
		{"empty", strings.NewReader(""), failure.KindNotReady, "no event"},
		{"read error", io.MultiReader(strings.NewReader(line), iotest.ErrReader(cut)), failure.KindRetry, "standard input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig(t, "-", t.TempDir())
			cfg.Date = "2025-11-08"
			cfg.ReadRetryDeadline = time.Second
			sum, err := Run(context.Background(), cfg, Options{Stdin: tc.stdin})
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || failure.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Run = %v (kind %v); want kind %v saying %q", err, failure.KindOf(err), tc.kind, tc.want)
			}
			if err == nil && (sum.Objects != 1 || sum.Events == 0) {
				t.Errorf("summary %+v: want one object with events", sum)
			}
		})
	}
}

// validConfig returns a config that validates, reading in and writing out.
func validConfig(t *testing.T, in, out string) settings.Config {
	t.Helper()
	var c settings.Config
	if err := settings.ParseEnv(&c, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	c.Input, c.Output = in, out
	if err := c.Validate(); err != nil {
		t.Fatalf("base config: %v", err)
	}
	return c
}
