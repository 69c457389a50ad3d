// Package input is what a run reads: the input's objects listed (an input
// URL, a template's folders of a date, or standard input as a one-object
// store) with those not read counted by reason, the units a run deals to
// its workers and shards (whole objects and byte ranges of large plain
// ones), each unit's stream opened and read ahead, the heads sampled
// for the estimate of the input's uncompressed size, and an object's
// decoded head for peek.
//
// It does not open a store (job does, and hands List an opener), decode
// lines into events, aggregate, judge a date's quality or commit anything.
package input
