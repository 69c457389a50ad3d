// Command logsmith turns JSON-lines logs in object storage into
// time-windowed features. It is a thin main: it sets up signals, has
// package cli read each command's settings (LOGSMITH_* variables, a config
// file and flags on top), calls package job (or outputs, for the commands
// on a committed output), hands what comes back to package ui to show and
// to package metrics to push, and maps the error to an exit code. See
// README.md for usage.
package main
