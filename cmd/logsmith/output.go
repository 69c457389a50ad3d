package main

import (
	"context"
	"io"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/outputs"
	"github.com/logsmith/logsmith/ui"
)

// cmdOutput runs the commands that read or tidy an output: ls, show,
// files, pin, migrate, gc and report.
func cmdOutput(ctx context.Context, cmd string, args []string, env map[string]string, stdout io.Writer) error {
	var cfg job.OutputConfig
	if err := cli.Parse(&cfg, cmd, args, env, stdout); err != nil {
		return err
	}
	_, noColor := env["NO_COLOR"]
	return outputs.Run(ctx, cmd, &cfg, stdout, ui.IsTerminal(stdout) && !noColor)
}
