package outputs

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

// Each setting that applies to some output commands is refused by every
// other one before the output is read: a bad setting (exit 2) naming it,
// and the output folder left as it was (here: never made).
func TestRunRefusesSettingsOfOtherCommands(t *testing.T) {
	commands := []string{"ls", "show", "files", "pin", "migrate", "gc", "report"}
	settingsOf := []struct {
		flag    string
		applies map[string]bool // the commands that take it
		set     func(*settings.OutputConfig)
	}{
		{"chart", map[string]bool{"show": true}, func(c *settings.OutputConfig) { c.Chart = true }},
		{"hours", map[string]bool{"show": true}, func(c *settings.OutputConfig) { c.Hours = true }},
		{"dry-run", map[string]bool{"gc": true}, func(c *settings.OutputConfig) { c.DryRun = true }},
		// pin prints Iceberg snapshots; report reads a hive table's Parquet.
		{"table-format", map[string]bool{"ls": true, "show": true, "files": true, "migrate": true, "gc": true, "report": true},
			func(c *settings.OutputConfig) { c.TableFormat = "hive" }},
		{"table-format", map[string]bool{"ls": true, "show": true, "files": true, "pin": true, "migrate": true, "gc": true},
			func(c *settings.OutputConfig) { c.TableFormat = "iceberg" }},
	}
	for _, s := range settingsOf {
		for _, cmd := range commands {
			if s.applies[cmd] {
				continue
			}
			out := filepath.Join(t.TempDir(), "out")
			cfg := new(settings.OutputConfig) // the defaults, as with no setting
			if err := settings.ParseEnv(cfg, nil); err != nil {
				t.Fatal(err)
			}
			cfg.Output, cfg.Date, cfg.Wait = out, "2025-11-08", 0
			s.set(cfg)
			// A refusal comes before any storage call: a run that got
			// that far is cut short rather than left to wait.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := Run(ctx, cmd, cfg, io.Discard, false)
			cancel()
			var ce *settings.ConfigError
			if !errors.As(err, &ce) || ce.Flag != s.flag || failure.ExitCode(err) != failure.ExitConfig {
				t.Errorf("%s with --%s (%s): %v, want a bad --%s (exit 2)", cmd, s.flag, cfg.TableFormat, err, s.flag)
				continue
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s with --%s: the output was touched (%v)", cmd, s.flag, err)
			}
		}
	}
}
