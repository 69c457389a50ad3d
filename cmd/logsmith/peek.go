package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/ui"
)

// cmdPeek prints the start of the input as a run would decode it.
func cmdPeek(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg settings.PeekConfig
	if err := cli.Parse(&cfg, "peek", args, env, stdout); err != nil {
		return err
	}
	level, err := ui.ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_LOG_LEVEL", Flag: "log-level", Err: err}
	}
	log := ui.NewLogger(stderr, level, ui.IsTerminal(stderr))
	rep, err := job.Peek(ctx, cfg, job.Options{Logger: log, Stdin: stdin, Version: versionString()})
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	ui.PrintPeek(stdout, rep)
	return nil
}
