// Command logsmith turns JSON-lines logs in object storage into
// time-windowed features. It is a thin main: it sets up signals, reads the
// configuration from LOGSMITH_* variables with flags on top, calls package
// job, and maps the error to an exit code. See README.md for usage.
package main
