// Package job wires storage and features into logsmith's commands: a run
// lists log objects, fans them out to a worker pool where each task builds
// the partial aggregate of one object, merges the partials, and writes the
// feature table to the output location; generate writes synthetic logs.
//
// It owns the run from its resolved settings (job/settings has them), the
// stores they name and the [Bucket] interface it needs from storage; its
// errors carry job/failure's kinds. What a run reads (the listing, the
// units, their streams, the samples of the input) is job/input's; what a
// date is judged on is job/quality's. It knows no JSON nor store protocol.
package job
