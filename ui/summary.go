package ui

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
)

// skippedNote renders the objects a listing skipped, by reason, or "".
func skippedNote(skipped map[string]int64) string {
	if len(skipped) == 0 {
		return ""
	}
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(skipped)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, skipped[r]))
	}
	return " (skipped, not read: " + strings.Join(parts, ", ") + ")"
}

// PrintSummary renders a run's summary as text: what was read, what was
// skipped and why, what was (or would be) committed, and how fast.
func PrintSummary(w io.Writer, s *job.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "run\t%s\n", s.RunID)
	fmt.Fprintf(tw, "input\t%s\n", s.Input)
	fmt.Fprintf(tw, "output\t%s\n", s.Output)
	fmt.Fprintf(tw, "objects\t%d%s\n", s.Objects, skippedNote(s.Skipped))
	fmt.Fprintf(tw, "bytes read\t%d (%d decompressed)\n", s.BytesRead, s.BytesDecoded)
	fmt.Fprintf(tw, "lines\t%d (%d blank ignored)\n", s.Lines, s.BlankLines)
	fmt.Fprintf(tw, "bad lines\t%d\n", s.BadLines)
	reasons := make([]string, 0, len(s.BadByReason))
	for r := range s.BadByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(tw, "  %s\t%d\n", r, s.BadByReason[r])
	}
	if s.OutOfRange > 0 {
		fmt.Fprintf(tw, "out of range\t%d (events outside %s, not written)\n", s.OutOfRange, s.Date)
	}
	for _, n := range s.Neighbours {
		note := ""
		if n.NotListed != nil {
			note = fmt.Sprintf(" (%d in objects its run does not list)", *n.NotListed)
		}
		fmt.Fprintf(tw, "  of %s\t%d%s\n", n.Date, n.Events, note)
	}
	if u := s.UnknownLevels; u != nil {
		vals := make([]string, 0, len(u.Values))
		for _, v := range u.Values {
			vals = append(vals, fmt.Sprintf("%q %d", v.Value, v.Count))
		}
		if !u.AllValues {
			vals = append(vals, "…")
		}
		fmt.Fprintf(tw, "unknown levels\t%d in %q (counted as non-errors): %s\n", u.Events, u.Field, strings.Join(vals, ", "))
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(tw, "warning\t%s\n", w)
	}
	fmt.Fprintf(tw, "windows\t%d\n", s.Windows)
	fmt.Fprintf(tw, "rows\t%d\n", s.Rows)
	if len(s.DryRun) > 0 {
		fmt.Fprintf(tw, "dry run\tnothing written\n")
	}
	for _, p := range s.DryRun {
		if p.Replaces == "" {
			fmt.Fprintf(tw, "partition %s %s\twould commit (%d rows, %d events; none committed)\n", p.Window, p.Date, p.Rows, p.Events)
			continue
		}
		fmt.Fprintf(tw, "partition %s %s\twould replace run %s (%d rows, %d events; committed: %d events)\n",
			p.Window, p.Date, p.Replaces, p.Rows, p.Events, p.ReplacesEvents)
	}
	for _, p := range s.Partitions {
		if len(s.DryRun) > 0 {
			break
		}
		if p.SnapshotID != 0 {
			fmt.Fprintf(tw, "partition %s %s\t%s (%d rows), snapshot %d\n", p.Window, p.Date, p.Status, p.Rows, p.SnapshotID)
			continue
		}
		fmt.Fprintf(tw, "partition %s %s\t%s (%d rows)\n", p.Window, p.Date, p.Status, p.Rows)
	}
	for _, f := range s.FailedDates {
		fmt.Fprintf(tw, "date %s\t%s, not committed: %s\n", f.Date, f.Status, f.Error)
	}
	if len(s.Files) > 0 || len(s.Partitions) == 0 || s.Partitions[0].SnapshotID == 0 {
		fmt.Fprintf(tw, "files\t%d\n", len(s.Files))
	}
	for _, f := range s.FileURLs {
		fmt.Fprintf(tw, "  %s\t\n", f)
	}
	for _, d := range s.DroppedFormats {
		fmt.Fprintf(tw, "dropped format\t%s of %s %s: %s deleted (add %s to --format to keep it)\n", d.Format, d.Window, d.Date, d.URL, d.Format)
	}
	if len(s.Removed) > 0 {
		fmt.Fprintf(tw, "removed\t%d files no commit needs\n", len(s.Removed))
	}
	for _, u := range s.RemovedURLs {
		fmt.Fprintf(tw, "  %s\t\n", u)
	}
	fmt.Fprintf(tw, "duration\t%s\n", s.Duration.Round(time.Millisecond))
	readRate := 0.0
	if sec := s.Duration.Seconds(); sec > 0 {
		readRate = float64(s.BytesRead) / 1e6 / sec
	}
	fmt.Fprintf(tw, "throughput\t%.1f MB/s read from storage, %.1f MB/s decoded\n", readRate, s.MBPerSec)
	tw.Flush()
}
