package ui

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job/peek"
)

// PrintPeek renders a peek report as text.
func PrintPeek(w io.Writer, r *peek.Report) {
	fmt.Fprintf(w, "input %s: %d objects listed%s; sample of %d records (%d bytes) from %d objects, %d events\n",
		r.Input, r.Objects, skippedNote(r.Skipped), r.Records, r.Bytes, len(r.Read), r.Events)
	for _, u := range r.Unreadable {
		fmt.Fprintf(w, "unreadable: %s\n", u)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tLEVEL\tERROR\tLATENCY_MS\tSTATUS\tDIMENSIONS\tRECORD")
	for _, e := range r.First {
		if e.Bad != "" {
			fmt.Fprintf(tw, "bad: %s\t\t\t\t\t\t%s\n", e.Bad, oneLine(e.Raw, 60))
			continue
		}
		lat := "-"
		if e.LatencyMs != nil {
			lat = fmt.Sprintf("%g", *e.LatencyMs)
		}
		status := "-"
		if e.Status != 0 {
			status = fmt.Sprint(e.Status)
		}
		var dims []string
		for k, v := range e.Dimensions {
			dims = append(dims, fmt.Sprintf("%s=%v", k, v))
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\t%s\t%s\n", e.Time.Format(time.RFC3339Nano), e.Level, e.Error, lat, status,
			strings.Join(dims, " "), oneLine(e.Raw, 60))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tPATH\tHIT RATE\t")
	for _, f := range r.Fields {
		rate := "-"
		if f.Of > 0 {
			rate = fmt.Sprintf("%.1f%% (%d of %d)", 100*float64(f.Hits)/float64(f.Of), f.Hits, f.Of)
		}
		note := ""
		if len(f.DidYouMean) > 0 {
			note = "never matches; did you mean " + strings.Join(f.DidYouMean, " or ") + "?"
		} else if f.Hits == 0 && f.Of > 0 {
			note = "never matches"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Role, f.Path, rate, note)
	}
	tw.Flush()
	for _, reason := range slices.Sorted(maps.Keys(r.Bad)) {
		fmt.Fprintf(w, "bad records: %s %d\n", reason, r.Bad[reason])
	}
	fmt.Fprintln(w)
	if r.LooksLike == "" {
		fmt.Fprintln(w, "looks like: no shape decodes any event of the sample")
		return
	}
	best := r.Shapes[0]
	pct := 100 * float64(best.Events) / float64(max(best.Records, 1))
	switch {
	case best.Shape == r.Shape:
		fmt.Fprintf(w, "looks like: %s (%.0f%% of records decode), the shape given\n", best.Shape, pct)
	case best.Shape == "default":
		fmt.Fprintf(w, "looks like: the default shape (%.0f%% of records decode); try without --shape\n", pct)
	default:
		fmt.Fprintf(w, "looks like: %s (%.0f%% of records decode); try --shape %s\n", best.Shape, pct, best.Shape)
	}
}

// oneLine shortens s to n runes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
