// Package job wires storage and features into logsmith's commands: a run
// lists log objects, fans them out to a worker pool where each task builds
// the partial aggregate of one object, merges the partials, and writes the
// feature table to the output location; generate writes synthetic logs.
//
// It owns the run from its resolved settings (job/settings has them), the
// stores they name, the [Bucket] interface it needs from storage, and the
// error kinds that become exit codes; it knows no JSON nor store protocol.
package job
