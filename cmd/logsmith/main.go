package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/job"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], environ(), os.Stdin, os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, cli.ErrHelp) {
		return
	}
	code := job.ExitCode(err)
	if code == job.ExitInterrupted {
		fmt.Fprintln(os.Stderr, "logsmith: interrupted; nothing more was committed:", err)
	} else {
		fmt.Fprintln(os.Stderr, "logsmith:", err)
	}
	os.Exit(code)
}
