// Command rsshelper runs a command and prints its peak resident set size:
// "maxrss N" (bytes) on stdout, then exits with the command's code.
//
// TestMemoryCheckBoundsPeak runs logsmith through it rather than as its
// own child: on Linux a child's ru_maxrss also counts the memory of the
// process that started it, at the moment it started it, and the test
// binary (built with -race in CI) is far larger than the runs it
// measures. This helper is small, and built without -race.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rsshelper COMMAND [ARG...]")
		os.Exit(125)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(125)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		fmt.Fprintln(os.Stderr, "no rusage of the child on this system")
		os.Exit(125)
	}
	fmt.Printf("maxrss %d\n", ru.Maxrss<<10) // Linux reports KiB
	os.Exit(code)
}
