package job

import (
	"context"
	"errors"
	"log/slog"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
)

// shapeErr classifies a refusal of the output's shape: another shape is a
// setting to fix (exit 2), a drop in progress a reason to retry later.
func shapeErr(err error) error {
	switch {
	case errors.Is(err, table.ErrShapeChanged):
		return failure.New(failure.KindBadSetting, err)
	case errors.Is(err, table.ErrDropping):
		return failure.New(failure.KindRetry, err)
	}
	return failure.Storage(err)
}

// OutputShape returns the shape of the output of cfg: its head's, or the
// one inferred from what it holds when it has none (nil for an empty
// output); and whether it was read from a head.
func OutputShape(ctx context.Context, cfg *settings.OutputConfig) (*table.Shape, bool, error) {
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
func DropTable(ctx context.Context, cfg *settings.OutputConfig, log *slog.Logger) (*table.DropResult, error) {
	if cfg.Window == "" {
		return nil, settings.SettingError(cfg, "Window", errors.New("required: the table to drop (its window name, as logsmith table show prints it)"))
	}
	if cfg.Iceberg() {
		return nil, settings.SettingError(cfg, "TableFormat", errors.New("table drop is for the hive layout: each window is its own Iceberg table; drop it in the catalog"))
	}
	loc, err := settings.ParseLocation(cfg.Output)
	if err != nil {
		return nil, settings.SettingError(cfg, "Output", err)
	}
	b, err := OpenBucket(loc, cfg.S3, defaultPolicy)
	if err != nil {
		return nil, err
	}
	out := table.NewOutput(b, loc.Prefix)
	res, err := out.Drop(ctx, table.Committer{Log: log, Retry: defaultPolicy.Do}, cfg.Window)
	switch {
	case errors.Is(err, table.ErrNoTable):
		return res, settings.SettingError(cfg, "Window", err)
	case errors.Is(err, table.ErrLostRace):
		return res, failure.New(failure.KindLostRace, err)
	}
	return res, failure.Storage(err)
}
