// Package synth makes synthetic JSON-lines logs of the shapes logsmith
// reads (services, levels, statuses, latencies, some malformed lines, some
// late), for demos, tests and benchmarks. The bytes depend only on the
// options, the day and the object's index.
//
// It does not store anything: it writes to an io.Writer.
package synth
