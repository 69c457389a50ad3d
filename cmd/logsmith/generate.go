package main

import (
	"context"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

func cmdGenerate(ctx context.Context, args []string, env map[string]string, stdout, stderr io.Writer) error {
	var cfg settings.GenerateConfig
	if err := cli.Parse(&cfg, "generate", args, env, stdout); err != nil {
		return err
	}
	sum, err := job.Generate(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d objects, %d lines, %d bytes uncompressed to %s\n", sum.Objects, sum.Lines, sum.Bytes, sum.Output)
	return nil
}
