package hive

import (
	"context"
	"errors"
	"fmt"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// runShape is the shape of the output the run would commit: one table per
// window spec, with the run's dimensions, schema version and columns.
func (f *Format) runShape() table.Shape {
	var ts []table.TableShape
	for _, w := range f.Windows {
		t := table.TableShape{Window: w.String(), Dimensions: append([]string{}, f.Columns.Dims...), SchemaVersion: features.SchemaVersion}
		for _, c := range f.Columns.Schema() {
			t.Columns = append(t.Columns, c.Name)
		}
		ts = append(ts, t)
	}
	return table.NewShape(ts)
}

// admitShape reads the output's head (or infers the shape of an output
// written before heads were) and checks the run's shape against it; it
// sets the layout the run's tables have. With write, it records the shape
// when the head lacks it or the run evolves it (columns added), with a
// write conditional on the head read: when another command changed the
// head meanwhile, it checks again on top of the new one.
func (f *Format) admitShape(ctx context.Context, write bool) error {
	out := f.Output
	run := f.runShape()
	for attempt := 0; ; attempt++ {
		var s *table.Shape
		var h table.ShapeHead
		err := f.retry(ctx, "read the head of "+out.Prefix+table.ShapeName, func(ctx context.Context) (err error) {
			s, h, err = out.Shape(ctx)
			return err
		})
		if err != nil {
			return err
		}
		next, changed, err := s.Admit(f.OutputURL, run)
		if err != nil {
			return err
		}
		f.shape = &next
		if !write || (!changed && h.Exists()) {
			return nil
		}
		_, err = out.PutShape(ctx, next, h, f.Committer.RunID, f.now())
		if errors.Is(err, table.ErrLostRace) && attempt < 10 {
			continue // another command wrote the head first: check against it
		}
		if errors.Is(err, table.ErrLostRace) {
			// Other commands kept writing the head first: the store's
			// trouble to retry later, not a race this run lost.
			return errors.New(err.Error())
		}
		if err != nil {
			return err
		}
		f.Committer.Log.Info("recorded the output's tables", "output", out.Prefix+table.ShapeName, "layout", next.Layout)
		return nil
	}
}

// recheckShape re-reads the output's head once the run has claimed its
// partitions: a table dropped (or being dropped) or reshaped since the run
// recorded its shape means the run lost to that command; it then writes
// nothing.
func (f *Format) recheckShape(ctx context.Context) error {
	out := f.Output
	var h table.ShapeHead
	err := f.retry(ctx, "read the head of "+out.Prefix+table.ShapeName, func(ctx context.Context) (err error) {
		h, err = out.ReadShape(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if !h.Exists() {
		return fmt.Errorf("output %q: its head %s is gone since this run recorded it: %w", out.Prefix, table.ShapeName, table.ErrLostRace)
	}
	if _, changed, err := h.Shape.Admit(f.OutputURL, f.runShape()); err != nil || changed || h.Shape.Layout != f.shape.Layout {
		why := "its tables changed"
		if err != nil {
			why = err.Error()
		}
		return fmt.Errorf("output %q changed while this run ran (%s): %w", out.Prefix, why, table.ErrLostRace)
	}
	return nil
}
