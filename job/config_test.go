package job

import (
	"errors"
	"strings"
	"testing"
)

// validConfig returns a config that validates, reading in and writing out.
func validConfig(t *testing.T, in, out string) Config {
	t.Helper()
	var c Config
	if err := ParseEnv(&c, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	c.Input, c.Output = in, out
	if err := c.Validate(); err != nil {
		t.Fatalf("base config: %v", err)
	}
	return c
}

// wantConfigError checks err is a *ConfigError naming env and saying want.
func wantConfigError(t *testing.T, what string, err error, env, want string) {
	t.Helper()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Env != env || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: %v; want a config error of %s saying %q", what, err, env, want)
	}
}

// A config built in code (not through ParseEnv and flags) is checked for
// stray whitespace too; a secret is named but never shown.
func TestValidateRefusesStrayWhitespace(t *testing.T) {
	d := t.TempDir()
	base := validConfig(t, d+"/in", d+"/out")
	for _, tc := range []struct {
		set  func(*Config)
		env  string
		hide string
	}{
		{func(c *Config) { c.Input += " " }, "LOGSMITH_INPUT", ""},
		{func(c *Config) { c.LatencyField = "latency_ms " }, "LOGSMITH_LATENCY_FIELD", ""},
		{func(c *Config) { c.TimestampLayout = " 2006" }, "LOGSMITH_TIMESTAMP_LAYOUT", ""},
		{func(c *Config) { c.GroupBy = []string{"service", "user "} }, "LOGSMITH_GROUP_BY", ""},
		{func(c *Config) { c.S3.SecretKey = "Zebra-secret\n" }, "LOGSMITH_S3_SECRET_KEY", "Zebra"},
	} {
		c := base
		tc.set(&c)
		err := c.Validate()
		wantConfigError(t, tc.env, err, tc.env, "whitespace")
		if tc.hide != "" && strings.Contains(err.Error(), tc.hide) {
			t.Errorf("%s: the error shows the secret: %v", tc.env, err)
		}
	}
}
