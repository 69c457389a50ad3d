package settings

import (
	"testing"
)

// Issue 26: files, pin and table drop tell tables apart by name, so a
// --window in another spelling of a window (the run's 15m/5m, Go's 900s)
// matched no table and files printed nothing with exit 0. Every spelling
// but the table's name is refused, naming the setting and the name.
func TestOutputWindowSpellings(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct {
		window, tableFormat string
		want                string // "" accepted
	}{
		{"5m", "hive", ""},
		{"15m-every-5m", "hive", ""},
		{"1m30s", "hive", ""},
		{"15m-every-5m", "iceberg", ""},
		{"features_15m_5m", "iceberg", ""},
		{"15m/5m", "hive", "named 15m-every-5m"},
		{"900s", "hive", "named 15m"},
		{"900s-every-300s", "hive", "named 15m-every-5m"},
		{"15m0s", "hive", "named 15m"},
		{"5m-every-5m", "hive", "not a window name"},
		{"features_15m_5m", "hive", "not a window name"},
		{"features_900s", "iceberg", "not a window name"},
		{"5 m", "hive", "not a window name"},
	} {
		var oc OutputConfig
		env := map[string]string{"LOGSMITH_OUTPUT": out, "LOGSMITH_WINDOW": c.window, "LOGSMITH_TABLE_FORMAT": c.tableFormat}
		if err := ParseEnv(&oc, env); err != nil {
			t.Fatal(err)
		}
		err := oc.Validate(false)
		if c.want == "" {
			if err != nil {
				t.Errorf("--window %s (%s): %v", c.window, c.tableFormat, err)
			}
			continue
		}
		wantConfigError(t, "--window "+c.window, err, "LOGSMITH_WINDOW", c.want)
	}
}
