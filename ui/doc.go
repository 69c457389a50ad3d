// Package ui is logsmith's terminal presentation: the progress display of
// a run or backfill, the terminal it shares with the log (TermLines), the
// log's format (text on a terminal, JSON lines otherwise), and the
// human-readable text of a run's summary, a plan and a peek report. It
// renders what package job returns; it computes, decides and commits
// nothing, and --json output is not its business (the command encodes
// job's types as they are).
package ui
