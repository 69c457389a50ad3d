// Package spill owns a run's aggregate when it may not fit in memory: the
// merged partial held in memory up to a budget, its panes beyond that
// moved, a time range at a time, into a checksummed file in a local spill
// folder, and the rows read back a range at a time in time order, so that
// what a run holds at the end is one range's state, whatever was spilled
// (and the rows are the same bytes as if nothing had been).
//
// It does not choose the budget or the folder (package job does, from the
// memory limit and --spill-dir), read input or write output.
package spill
