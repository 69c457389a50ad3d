// Package testbin builds the logsmith binary for the tests that run it as
// a process (cmd/logsmith, docs, job/globtest): once per test binary, into
// a temporary folder removed when the tests end. It is imported by tests
// only.
package testbin
