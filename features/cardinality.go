package features

// Cardinality is what a partial holds, counted: its cells (one pane of one
// group), the events in them, and its distinct groups across panes. A memory
// estimate extrapolates it from a sample of the input (see job's memory
// model).
type Cardinality struct {
	Cells  int64 // (pane, group) accumulators
	Events int64 // aggregated events, in all cells
	Groups int64 // distinct group keys across panes
	// Once counts the groups that hold one event in all: how fast new
	// groups still turn up.
	Once int64
	// KeyBytes is the distinct groups' encoded keys, summed.
	KeyBytes int64
}

// Cardinality counts p's cells, events and groups. It walks every cell:
// meant for small partials (a sample), not a run's aggregate.
func (p *Partial) Cardinality() Cardinality {
	var c Cardinality
	events := map[string]int64{}
	for _, pn := range p.panes {
		for g, a := range pn.groups {
			c.Cells++
			c.Events += a.count
			events[g] += a.count
		}
	}
	for g, n := range events {
		c.Groups++
		c.KeyBytes += int64(len(g))
		if n == 1 {
			c.Once++
		}
	}
	return c
}
