package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/ui"
)

// cmdPlan lists the date's input, sizes the sharded run and prints the
// plan; with --plan-file it also writes the plan's JSON there.
func cmdPlan(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg settings.PlanConfig
	if err := cli.Parse(&cfg, "plan", args, env, stdout); err != nil {
		return err
	}
	level, err := ui.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	log := ui.NewLogger(stderr, level, ui.IsTerminal(stderr))
	p, err := job.PlanRun(ctx, cfg, job.Options{Logger: log, Version: versionString()})
	if err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	data = append(data, '\n')
	if cfg.File != "" {
		if err := writeFileAtomic(cfg.File, data); err != nil {
			return &settings.ConfigError{Env: "LOGSMITH_PLAN_FILE", Flag: "plan-file", Err: err}
		}
	}
	if cfg.JSON {
		_, err := stdout.Write(data)
		return err
	}
	ui.PrintPlan(stdout, p)
	return nil
}

// writeFileAtomic writes data to name through a temporary file in the same
// folder, synced and renamed, so a reader never sees half a plan.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
