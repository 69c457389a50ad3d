package iceberg

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Pin is what a reader records to read a table again exactly as it is
// now, all read from one version of the table's metadata.
type Pin struct {
	// SnapshotID is the table's current snapshot (0 before the first
	// commit). It holds every committed date's rows: each commit starts
	// from the snapshot current then, so the newest holds them all, while
	// a date's own snapshot may lack a date committed after it.
	SnapshotID int64
	// CommittedAt is when the current snapshot was committed.
	CommittedAt time.Time
	// MetadataLocation is the metadata file listing the snapshot, for a
	// reader without a catalog (DuckDB's iceberg_scan). It is kept as long
	// as any snapshot it lists is retained (see GC).
	MetadataLocation string
	// Heads are the committed dates' heads, by date.
	Heads map[string]Head
	// retained are the snapshots not expired yet.
	retained map[int64]bool
}

// Dates are the committed dates, oldest first.
func (p *Pin) Dates() []string { return slices.Sorted(maps.Keys(p.Heads)) }

// ReadSnapshotID is a retained snapshot holding date's rows as its head
// committed them: the head's own snapshot, or, once that expired, the
// current one (no commit of the date has replaced them since).
func (p *Pin) ReadSnapshotID(date string) int64 {
	if h, ok := p.Heads[date]; ok && p.retained[h.SnapshotID] {
		return h.SnapshotID
	}
	return p.SnapshotID
}

// Pin reads the table's current snapshot, its metadata file and the
// committed dates' heads from one load of its metadata.
func (t *Table) Pin(ctx context.Context) (Pin, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return Pin{}, err
	}
	p := Pin{MetadataLocation: tbl.MetadataLocation(), retained: map[int64]bool{}}
	if s := tbl.CurrentSnapshot(); s != nil {
		p.SnapshotID, p.CommittedAt = s.SnapshotID, time.UnixMilli(s.TimestampMs).UTC()
	}
	for _, s := range tbl.Metadata().Snapshots() {
		p.retained[s.SnapshotID] = true
	}
	if p.Heads, err = heads(tbl); err != nil {
		return Pin{}, err
	}
	return p, nil
}
