// Package cli is logsmith's command-line surface: how a command's settings
// are read from their layers (flag, environment, config file, shape,
// default) with the origin of each value, the flags' parsing, --help and
// the usage text, the shell completion scripts and `logsmith config`. It
// knows the commands by name and their config types (ConfigOf); the
// settings themselves (names, defaults, validation) are job's, and what a
// command does is its caller's: cli parses, it runs nothing.
package cli
