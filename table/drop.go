package table

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/logsmith/logsmith/storage"
)

// DropResult reports what a drop removed.
type DropResult struct {
	Window string   `json:"window"`
	Root   string   `json:"root"`  // the table's folder (its key prefix)
	Dates  []string `json:"dates"` // the partitions removed
}

// maxDropFollow bounds how often a drop re-reads a partition whose head
// another command changed under it.
const maxDropFollow = 20

// Drop removes the table of window w from the output, and from its head,
// so that commands may then write another shape. It is safe against
// concurrent commands:
//
//  1. it records the table under "dropping" in the output's head
//     (conditional on the head it read): from then on commands refuse to
//     write to the output (ErrDropping), and one that claimed its
//     partitions before loses (ErrLostRace) when it re-reads the head;
//  2. it claims each of the table's partitions with c, as a commit does
//     (waiting for another command's live claim, fencing an abandoned
//     one), deletes every object of the partition folder, then its
//     manifest;
//  3. it removes the table from "dropping".
//
// A drop killed on the way leaves the table under "dropping": running it
// again finishes it (its claims carry the same run id, "drop:W", and are
// taken over at once). On an output without a head, the table is found
// as InferShape finds it, and the head written lists the other tables.
// A window the output holds no table of is ErrNoTable.
func (o Output) Drop(ctx context.Context, c Committer, w string) (*DropResult, error) {
	c.RunID = "drop:" + w
	h, err := o.ReadShape(ctx)
	if err != nil {
		return nil, err
	}
	var next Shape
	var t Table
	switch {
	case h.Exists() && slices.Contains(h.Shape.Dropping, w):
		next = *h.Shape // a drop killed on the way: finish it
		t = h.Shape.Table(o, w)
	case h.Exists():
		if h.Shape.table(w) == nil {
			return nil, fmt.Errorf("drop table %s of %q: the output holds %v: %w", w, o.Prefix, h.Shape.windows(), ErrNoTable)
		}
		t = h.Shape.Table(o, w)
		next = *h.Shape
		next.Tables = slices.DeleteFunc(slices.Clone(next.Tables), func(ts TableShape) bool { return ts.Window == w })
		next.Dropping = append(slices.Clone(next.Dropping), w)
	default:
		found, err := o.inferTables(ctx)
		if err != nil {
			return nil, err
		}
		next = Shape{Layout: LayoutWindows}
		var names []string
		ok := false
		for _, f := range found {
			names = append(names, f.shape.Window)
			if f.shape.Window == w && !ok {
				t, ok = f.t, true
				continue
			}
			if !f.t.Dir {
				next.Layout = LayoutRoot
			}
			next.Tables = append(next.Tables, f.shape)
		}
		if !ok {
			return nil, fmt.Errorf("drop table %s of %q: the output holds %v: %w", w, o.Prefix, names, ErrNoTable)
		}
		if len(next.Tables) == 0 && !t.Dir {
			next.Layout = LayoutRoot
		}
		next.Dropping = []string{w}
	}
	if !slices.Equal(next.Dropping, h.shapeDropping()) || !h.Exists() {
		if h, err = o.PutShape(ctx, next, h, c.RunID, c.now()); err != nil {
			return nil, fmt.Errorf("drop table %s: %w", w, err)
		}
	}
	res := &DropResult{Window: w, Root: t.Root()}
	dates, err := t.Dates(ctx)
	if err != nil {
		return res, err
	}
	for _, d := range dates {
		if err := c.dropPartition(ctx, o, t, d); err != nil {
			return res, fmt.Errorf("drop table %s: %w", w, err)
		}
		res.Dates = append(res.Dates, d)
	}
	if t.Dir { // anything else in the table's folder
		if err := o.deleteWhileDropping(ctx, t, t.Root(), ""); err != nil {
			return res, fmt.Errorf("drop table %s: %w", w, err)
		}
	}
	for attempt := 0; ; attempt++ {
		next = *h.Shape
		next.Dropping = slices.DeleteFunc(slices.Clone(next.Dropping), func(s string) bool { return s == w })
		_, err := o.PutShape(ctx, next, h, c.RunID, c.now())
		if !errors.Is(err, ErrLostRace) || attempt >= maxDropFollow {
			if err != nil {
				return res, fmt.Errorf("drop table %s: %w", w, err)
			}
			return res, nil
		}
		// Another drop changed the head meanwhile: redo on top of it.
		if h, err = o.ReadShape(ctx); err != nil {
			return res, err
		}
		if !h.Exists() {
			return res, nil
		}
	}
}

func (h ShapeHead) shapeDropping() []string {
	if h.Shape == nil {
		return nil
	}
	return h.Shape.Dropping
}

// stillDropping returns nil while the output's head lists the table of
// window w under "dropping", and an error wrapping ErrLostRace once it
// does not: another drop finished it, and commands may have written the
// table anew since.
func (o Output) stillDropping(ctx context.Context, w string) error {
	h, err := o.ReadShape(ctx)
	if err != nil {
		return err
	}
	if !h.Exists() || !slices.Contains(h.Shape.Dropping, w) {
		return fmt.Errorf("drop table %s: another command finished the drop while this one was stopped: %w", w, ErrLostRace)
	}
	return nil
}

// dropPartition claims t's partition of date d and deletes everything in
// its folder, the manifest last, while the drop is in force (see
// deleteWhileDropping).
func (c *Committer) dropPartition(ctx context.Context, o Output, t Table, d string) error {
	for attempt := 0; ; attempt++ {
		// A drop finished by another command (the drop run again while
		// this one was stopped) is no longer in force: following the
		// partition now would delete a commit made after it.
		if err := o.stillDropping(ctx, t.Window); err != nil {
			return err
		}
		head, err := t.ReadHead(ctx, d)
		if err != nil {
			return err
		}
		if head.Exists() {
			p := &Partition{Table: t, Date: d, Head: head, Manifest: &Manifest{Window: t.Window, Date: d}}
			if _, err := c.claim(ctx, p); errors.Is(err, ErrLostRace) && attempt < maxDropFollow {
				continue // changed under us: drop what is there now
			} else if err != nil {
				return err
			}
		}
		prefix := t.PartitionPrefix(d)
		return o.deleteWhileDropping(ctx, t, prefix, prefix+ManifestName)
	}
}

// deleteWhileDropping removes every object under prefix, the one at last
// (when there is one) last, while the drop of t is in force. It notes
// which object each key holds, then checks that the drop is in force (so
// that no command has written under prefix since it claimed the
// partitions), then deletes each object noted only while its key still
// holds it: a drop stopped past that check, while another drop finished
// and a run wrote the table anew, finds the run's objects in their place
// and deletes none of them (it fails with ErrLostRace).
func (o Output) deleteWhileDropping(ctx context.Context, t Table, prefix, last string) error {
	var keys []string
	err := t.Bucket.List(ctx, prefix, func(o storage.ObjectInfo) error {
		if o.Key != last {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	if last != "" {
		keys = append(keys, last)
	}
	var infos []storage.ObjectInfo
	for _, k := range keys {
		info, err := t.Bucket.Stat(ctx, k)
		if errors.Is(err, storage.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		infos = append(infos, info)
	}
	if err := o.stillDropping(ctx, t.Window); err != nil {
		return err
	}
	for _, info := range infos {
		if err := deleteDecided(ctx, t.Bucket, info); errors.Is(err, storage.ErrPrecondition) {
			return fmt.Errorf("drop table %s: %s was written since the drop looked: %w", t.Window, info.Key, ErrLostRace)
		} else if err != nil {
			return fmt.Errorf("delete %s: %w", info.Key, err)
		}
	}
	return nil
}
