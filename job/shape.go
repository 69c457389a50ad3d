package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/logsmith/logsmith/table"
)

// runShape is the shape of the output the run would commit: one table per
// window spec, with the run's dimensions, schema version and columns.
func (rs *runState) runShape() table.Shape {
	var ts []table.TableShape
	cols := rs.res.Columns
	for _, w := range rs.res.Windows {
		t := table.TableShape{Window: w.String(), Dimensions: append([]string{}, cols.Dims...), SchemaVersion: SchemaVersion}
		for _, c := range cols.Schema() {
			t.Columns = append(t.Columns, c.Name)
		}
		ts = append(ts, t)
	}
	return table.NewShape(ts)
}

// shapeErr classifies a refusal of the output's shape: another shape is a
// setting to fix (exit 2), a drop in progress a reason to retry later.
func shapeErr(err error) error {
	switch {
	case errors.Is(err, table.ErrShapeChanged):
		return &kindError{KindConfig, err}
	case errors.Is(err, table.ErrDropping):
		return &kindError{KindStorage, err}
	}
	return storageErr(err)
}

// admitShape reads the output's head (or infers the shape of an output
// written before heads were) and checks the run's shape against it; it
// sets the layout the run's tables have. With write, it records the shape
// when the head lacks it or the run evolves it (columns added), with a
// write conditional on the head read: when another command changed the
// head meanwhile, it checks again on top of the new one.
func (rs *runState) admitShape(ctx context.Context, write bool) error {
	out := rs.output()
	run := rs.runShape()
	for attempt := 0; ; attempt++ {
		var s *table.Shape
		var h table.ShapeHead
		err := rs.policy().Do(ctx, "read the head of "+out.Prefix+table.ShapeName, func(ctx context.Context) (err error) {
			s, h, err = out.Shape(ctx)
			return err
		})
		if err != nil {
			return shapeErr(err)
		}
		next, changed, err := s.Admit(rs.res.Output.String(), run)
		if err != nil {
			return shapeErr(err)
		}
		rs.shape = &next
		if !write || (!changed && h.Exists()) {
			return nil
		}
		_, err = out.PutShape(ctx, next, h, rs.runID, rs.opts.Now())
		if errors.Is(err, table.ErrLostRace) && attempt < 10 {
			continue // another command wrote the head first: check against it
		}
		if err != nil {
			return storageErr(err)
		}
		rs.log.Info("recorded the output's tables", "output", out.Prefix+table.ShapeName, "layout", next.Layout)
		return nil
	}
}

// recheckShape re-reads the output's head once the run has claimed its
// partitions: a table dropped (or being dropped) or reshaped since the run
// recorded its shape means the run lost to that command; it then writes
// nothing.
func (rs *runState) recheckShape(ctx context.Context) error {
	out := rs.output()
	var h table.ShapeHead
	err := rs.policy().Do(ctx, "read the head of "+out.Prefix+table.ShapeName, func(ctx context.Context) (err error) {
		h, err = out.ReadShape(ctx)
		return err
	})
	if err != nil {
		return storageErr(err)
	}
	if !h.Exists() {
		return fmt.Errorf("output %q: its head %s is gone since this run recorded it: %w", out.Prefix, table.ShapeName, table.ErrLostRace)
	}
	if _, changed, err := h.Shape.Admit(rs.res.Output.String(), rs.runShape()); err != nil || changed || h.Shape.Layout != rs.shape.Layout {
		why := "its tables changed"
		if err != nil {
			why = err.Error()
		}
		return fmt.Errorf("output %q changed while this run ran (%s): %w", out.Prefix, why, table.ErrLostRace)
	}
	return nil
}

// OutputShape returns the shape of the output of cfg: its head's, or the
// one inferred from what it holds when it has none (nil for an empty
// output); and whether it was read from a head.
func OutputShape(ctx context.Context, cfg *OutputConfig) (*table.Shape, bool, error) {
	out, _, err := OpenOutput(cfg)
	if err != nil {
		return nil, false, err
	}
	s, h, err := out.Shape(ctx)
	if err != nil {
		return nil, false, shapeErr(err)
	}
	return s, h.Exists(), nil
}

// DropTable removes the table of window cfg.Window from the output of
// cfg, and from its head (see table.Output.Drop): the explicit way to
// give the output another shape.
func DropTable(ctx context.Context, cfg *OutputConfig, log *slog.Logger) (*table.DropResult, error) {
	if cfg.Window == "" {
		return nil, settingError(cfg, "Window", errors.New("required: the table to drop (its window name, as logsmith table show prints it)"))
	}
	if cfg.Iceberg() {
		return nil, settingError(cfg, "TableFormat", errors.New("table drop is for the hive layout: each window is its own Iceberg table; drop it in the catalog"))
	}
	loc, err := ParseLocation(cfg.Output)
	if err != nil {
		return nil, settingError(cfg, "Output", err)
	}
	b, err := OpenBucket(loc, cfg.S3, defaultPolicy)
	if err != nil {
		return nil, err
	}
	out := table.NewOutput(b, loc.Prefix)
	res, err := out.Drop(ctx, table.Committer{Log: log, Retry: defaultPolicy.Do}, cfg.Window)
	switch {
	case errors.Is(err, table.ErrNoTable):
		return res, settingError(cfg, "Window", err)
	case errors.Is(err, table.ErrLostRace):
		return res, &kindError{KindLostRace, err}
	}
	return res, storageErr(err)
}
