package main

import (
	"testing"

	"github.com/logsmith/logsmith/job/settings"
)

// A map shard commits nothing: its push must not stand for the day's
// success, which the alert on mode="daily" watches; the merge commits it.
func TestRunMode(t *testing.T) {
	for _, c := range []struct {
		cmd  string
		cfg  settings.Config
		want string
	}{
		{"run", settings.Config{}, "daily"},
		{"run", settings.Config{RunSettings: settings.RunSettings{Shard: "1/4"}}, "shard"},
		{"run", settings.Config{RunSettings: settings.RunSettings{Shards: 4}}, "shard"},
		{"merge", settings.Config{}, "daily"},
	} {
		if got := runMode(c.cmd, &c.cfg); got != c.want {
			t.Errorf("%s %+v: mode %q, want %q", c.cmd, c.cfg.Shard, got, c.want)
		}
	}
}
