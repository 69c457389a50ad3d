// Package memcheck is the memory check of a run, merge or backfill: a
// run's settings as the memory model of job/memory sees them (Model), the
// estimate at the caps (Estimate), whether parallel runs fit a limit
// (Fits), and the refusal naming the settings that lower the estimate
// (Check, Refusal: a *settings.ConfigError, exit 2).
//
// It does not read the input: job samples it for the estimate from the
// data (job/memory's FromData) and refuses through Refusal.
package memcheck
