package ui

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
)

// PrintPlan renders a plan as text: the input, its sizes, the shards
// the budget asks for and the memory a pod needs.
func PrintPlan(w io.Writer, p *job.Plan) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "run\t%s\n", p.RunID)
	fmt.Fprintf(tw, "date\t%s\n", p.Date)
	fmt.Fprintf(tw, "input\t%s\n", p.Input)
	fmt.Fprintf(tw, "objects\t%d%s\n", p.Objects, skippedNote(p.Skipped))
	fmt.Fprintf(tw, "bytes\t%d (%s, as stored)\n", p.Bytes, siBytes(p.Bytes))
	kind := "estimated"
	if p.UncompressedEstimate.Exact {
		kind = "exact"
	}
	fmt.Fprintf(tw, "uncompressed\t%d (%s, %s)\n", p.EstimatedUncompressedBytes, siBytes(p.EstimatedUncompressedBytes), kind)
	for _, c := range p.UncompressedEstimate.Classes {
		var codecs []string
		for _, name := range []string{"none", "gzip", "zstd"} {
			if n := c.Codecs[name]; n > 0 {
				codecs = append(codecs, fmt.Sprintf("%d %s", n, name))
			}
		}
		if c.Unreadable > 0 {
			codecs = append(codecs, fmt.Sprintf("%d unreadable", c.Unreadable))
		}
		fmt.Fprintf(tw, "  %s\t%d objects, %s stored, ratio %.2f from %d samples (%s)\n",
			c.Class, c.Objects, siBytes(c.Bytes), c.Ratio, c.Sampled, strings.Join(codecs, ", "))
	}
	fmt.Fprintf(tw, "units\t%d\n", p.Units)
	fmt.Fprintf(tw, "budget\t%s at %s/s per pod\n", time.Duration(p.BudgetSeconds)*time.Second, siBytes(p.ThroughputBytesPerSecond))
	fmt.Fprintf(tw, "shards\t%d (the budget asks for %d; at most %d)\n", p.Shards, p.ShardsForBudget, p.MaxShards)
	fits := "fits the budget"
	if !p.FitsBudget {
		fits = "over the budget: capped by " + strings.ReplaceAll(p.CappedBy, "_", " ")
	}
	fmt.Fprintf(tw, "slowest shard\t%s uncompressed, ~%s (%s)\n", siBytes(p.SlowestShardBytes), time.Duration(p.EstimatedSeconds)*time.Second, fits)
	fmt.Fprintf(tw, "memory\t~%s per pod, basis %s, ~%s spilled past its budget (at the caps ~%s: %d panes × %d groups × %d B, plus %d MiB fixed)\n", iecBytes(p.Memory.Total),
		p.Memory.Basis, iecBytes(p.Memory.Spilling), iecBytes(p.Memory.CapsTotal), p.Memory.Panes, p.Memory.Groups, p.Memory.PerGroup, p.Memory.Fixed>>20)
	tw.Flush()
}

// siBytes renders a byte count in decimal units, as throughput is quoted.
func siBytes(n int64) string {
	const units = "kMGTPE"
	if n < 1000 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1000, 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, units[i])
}

// iecBytes renders a byte count in binary units, as memory limits are set.
func iecBytes(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, units[i])
}
