package table

import (
	"context"
	"fmt"
	"io"
)

// Migrate rewrites every partition of o committed in the version 1 layout
// (data under run=ID/ folders) into the current one: it copies the
// committed run's data objects to part-00000.<format> and publishes a
// version 2 manifest in the same run's name, through c's claims, so a
// command racing it wins or loses as with any commit. The old run folders
// are then unlisted, and GC removes them after its grace period. dates
// limits the partitions (all when empty). It returns the partitions
// migrated, as "<table root>date=D".
func (o Output) Migrate(ctx context.Context, c Committer, dates ...string) ([]string, error) {
	tables, err := o.Tables(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, t := range tables {
		ds := dates
		if len(ds) == 0 {
			if ds, err = t.Dates(ctx); err != nil {
				return done, err
			}
		}
		for _, d := range ds {
			h, err := t.ReadHead(ctx, d)
			if err != nil {
				return done, err
			}
			m := h.Manifest
			if m == nil || m.ManifestVersion != 1 {
				continue
			}
			p := &Partition{Table: t, Date: d, Head: h}
			nm := *m
			nm.ManifestVersion, nm.State, nm.Files = ManifestVersion, StateCommitted, nil
			nm.PartitionEvents = -1 // not counted by version 1
			p.Manifest = &nm
			for _, f := range m.Files {
				data, err := readObject(ctx, t.Bucket, t.PartitionPrefix(d)+f.Path, f.Size)
				if err != nil {
					return done, fmt.Errorf("migrate %s: %w", t.PartitionPrefix(d), err)
				}
				p.Blobs = append(p.Blobs, Blob{Format: f.Format, Data: data})
			}
			cc := c
			cc.RunID = m.RunID
			if _, err := cc.Commit(ctx, []*Partition{p}); err != nil {
				return done, fmt.Errorf("migrate %s: %w", t.PartitionPrefix(d), err)
			}
			done = append(done, t.PartitionPrefix(d))
		}
	}
	return done, nil
}

// readObject reads a whole object that should be size bytes long.
func readObject(ctx context.Context, b Bucket, key string, size int64) ([]byte, error) {
	rc, err := b.Open(ctx, key, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, size+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("read %s: %d bytes, the manifest lists %d", key, len(data), size)
	}
	return data, nil
}
