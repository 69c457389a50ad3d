package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Main builds the main package pkg (a path or an import path) with go
// build and the extra build arguments args, sets *bin to the binary, runs
// the tests and exits with their code. It is a TestMain's whole body; a
// failed build panics, failing every test of the package.
func Main(m *testing.M, bin *string, pkg string, args ...string) {
	dir, err := os.MkdirTemp("", "logsmith-bin")
	if err != nil {
		panic(err)
	}
	*bin = filepath.Join(dir, "logsmith")
	build := exec.Command("go", append(append([]string{"build"}, args...), "-o", *bin, pkg)...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build logsmith: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
