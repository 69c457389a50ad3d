package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/logsmith/logsmith/cli"
	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], environ(), os.Stdin, os.Stdout, os.Stderr)
	if err == nil || errors.Is(err, cli.ErrHelp) {
		return
	}
	code := failure.ExitCode(err)
	if code == failure.ExitInterrupted {
		fmt.Fprintln(os.Stderr, "logsmith: interrupted; nothing more was committed:", err)
	} else {
		fmt.Fprintln(os.Stderr, "logsmith:", err)
	}
	os.Exit(code)
}

// environ returns the process's environment by name.
func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// run is the whole program behind main, with its environment passed in.
func run(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, env, stdin, stdout, stderr)
	if len(args) > 0 {
		err = cli.BlameLater(err, args[1:], env)
	}
	return err
}

func dispatch(ctx context.Context, args []string, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, cli.Usage)
		return &settings.ConfigError{Env: "command", Err: errors.New("missing command")}
	}
	switch args[0] {
	case "--version", "-version", "version":
		fmt.Fprintln(stdout, versionString())
		fmt.Fprintln(stdout, "gzip inflater:", features.Inflater())
		return nil
	case "-h", "--help", "help":
		if len(args) > 1 && cli.ConfigOf(args[1]) != nil || len(args) > 1 && args[1] == "config" {
			// logsmith help run is logsmith run --help.
			return dispatch(ctx, []string{args[1], "--help"}, env, stdin, stdout, stderr)
		}
		if len(args) > 1 && args[1] != "" {
			fmt.Fprint(stderr, cli.Usage)
			return &settings.ConfigError{Env: "command", Err: fmt.Errorf("help: unknown command %q", args[1])}
		}
		fmt.Fprint(stdout, cli.Usage)
		return nil
	case "completion":
		return cli.Completion(args[1:], stdout)
	case "run", "merge":
		return cmdRun(ctx, args[0], args[1:], env, stdin, stdout, stderr)
	case "generate":
		return cmdGenerate(ctx, args[1:], env, stdout, stderr)
	case "backfill":
		return cmdBackfill(ctx, args[1:], env, stdout, stderr)
	case "peek":
		return cmdPeek(ctx, args[1:], env, stdin, stdout, stderr)
	case "plan":
		return cmdPlan(ctx, args[1:], env, stdout, stderr)
	case "ls", "show", "gc", "files", "migrate", "pin", "report":
		return cmdOutput(ctx, args[0], args[1:], env, stdout)
	case "config":
		return cli.PrintConfig(args[1:], env, stdout)
	case "table":
		return cmdTable(ctx, args[1:], env, stdout, stderr)
	}
	fmt.Fprint(stderr, cli.Usage)
	return &settings.ConfigError{Env: "command", Err: fmt.Errorf("unknown command %q", args[0])}
}
