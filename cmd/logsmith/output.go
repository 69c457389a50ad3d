package main

import (
	"context"
	"errors"
	"io"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/outputs"
	"github.com/logsmith/logsmith/ui"
)

// cmdOutput runs the commands that read or tidy an output: ls, show,
// files, pin, migrate, gc and report.
func cmdOutput(ctx context.Context, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	var cfg settings.OutputConfig
	if err := cli.Parse(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	_, noColor := env["NO_COLOR"]
	return outputs.Run(ctx, cmd, &cfg, stdout, ui.IsTerminal(stdout) && !noColor)
}

// cmdTable runs `logsmith table show|drop`: print the output's tables and
// their shape, or drop one table so that the output may take another.
func cmdTable(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "drop") {
		return &settings.ConfigError{Env: "command", Err: errors.New(`table: want "table show" or "table drop"`)}
	}
	sub := args[0]
	var cfg settings.OutputConfig
	if err := cli.Parse(&cfg, "table "+sub, args[1:], env, stdout); err != nil {
		return err
	}
	level, err := ui.ParseLogLevel("info")
	if err != nil {
		return err
	}
	return outputs.Table(ctx, sub, &cfg, ui.NewLogger(stderr, level, ui.IsTerminal(stderr)), stdout)
}
