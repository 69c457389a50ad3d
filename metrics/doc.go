// Package metrics reports what a run or backfill did to a Prometheus
// Pushgateway: its counts, its outcome, its duration and the build that
// ran. It owns the metric names and the grouping key. It does not decide
// when to push, and a push that fails never changes a run's outcome: the
// caller logs it (Send) and exits as it would have.
package metrics
