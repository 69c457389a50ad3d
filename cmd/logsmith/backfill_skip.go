package main

import (
	"fmt"

	"github.com/logsmith/logsmith/job/settings"
)

// checkSkipCommitted refuses a backfill given --skip-committed (or its
// variable, or the config file's key) with a value that contradicts what
// a backfill does: skip the dates already committed from the same input
// and config unless --force. Ignored, a --skip-committed=false meant to
// recompute them would silently not.
func checkSkipCommitted(cfg *settings.BackfillConfig, origins map[string]origin) error {
	o, ok := origins[settings.EnvPrefix+"SKIP_COMMITTED"]
	if !ok || o.Layer == "default" || cfg.SkipCommitted == !cfg.Force {
		return nil
	}
	return &settings.ConfigError{Env: settings.EnvPrefix + "SKIP_COMMITTED", Flag: "skip-committed",
		Err: fmt.Errorf("%v (from the %s) contradicts --force=%v: a backfill skips committed dates unless --force; give --force to recompute them, and leave --skip-committed out", cfg.SkipCommitted, o.Layer, cfg.Force)}
}
