package job

import (
	"context"
	"fmt"
	"strings"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/hive"
	"github.com/logsmith/logsmith/job/icebergfmt"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// This file is the one place in package job that knows the table formats
// by name: it opens the format --table-format names, and maps the Iceberg
// settings to the catalog's options. Everything else in job goes through
// tableFormat.

// tableFormats open a run's tables, by --table-format, whose names
// settings.TableFormatNames lists for its validation
// (TestTableFormatNamesAgree).
var tableFormats = map[string]func(ctx context.Context, rs *runState) (tableFormat, error){
	"hive":    openHive,
	"iceberg": openIcebergFormat,
}

// openFormat opens the run's tables in the format its config names.
func (rs *runState) openFormat(ctx context.Context) (tableFormat, error) {
	// Validate has refused any other name.
	return tableFormats[rs.cfg.TableFormat](ctx, rs)
}

// headsFormat names the table format whose table key (in a run's heads,
// which shard partials carry) is key: a format other than the hive layout
// names its tables "<format>:<name>".
func headsFormat(key string) string {
	if name, _, ok := strings.Cut(key, ":"); ok && name != "hive" && tableFormats[name] != nil {
		return name
	}
	return "hive"
}

func openHive(_ context.Context, rs *runState) (tableFormat, error) {
	return &hive.Format{
		Output: rs.output(), OutputURL: rs.res.Output.String(), Windows: rs.res.Windows, Columns: rs.res.Columns,
		Formats: rs.cfg.Format, Compression: features.ParquetCompression(rs.cfg.ParquetCompression),
		Committer: table.Committer{RunID: rs.runID, Retry: rs.policy().Do, Now: rs.opts.Now, Lease: rs.cfg.CommitLease,
			Log: rs.log, ManifestLimit: rs.opts.ManifestLimit},
		GC: table.GCOptions{Grace: rs.cfg.GCGrace, RejectsRetention: rs.cfg.RejectsRetention},
	}, nil
}

func openIcebergFormat(ctx context.Context, rs *runState) (tableFormat, error) {
	cfg := rs.cfg
	var cat *iceberg.Catalog
	var err error
	switch {
	case !cfg.DryRun:
		cat, err = OpenIceberg(ctx, &cfg.IcebergSettings, rs.res.Output, rs.res.S3)
	case settings.IcebergCatalogExists(&cfg.IcebergSettings, rs.res.Output):
		// A dry run opens the catalog as ls does: creating nothing in it.
		cat, err = OpenIcebergTables(ctx, &cfg.IcebergSettings, rs.res.Output, rs.res.S3)
	}
	if err != nil {
		return nil, err
	}
	return &icebergfmt.Format{
		Catalog: cat, Windows: rs.res.Windows, Columns: rs.res.Columns, Expiry: cfg.IcebergSettings.GCOptions(),
		Output: rs.output(), OutputGC: table.GCOptions{Grace: cfg.GCGrace, RejectsRetention: cfg.RejectsRetention},
		Now: rs.opts.Now, Log: rs.log,
	}, nil
}

// OpenIceberg opens the catalog of a command's Iceberg tables; the caller
// closes it.
func OpenIceberg(ctx context.Context, s *settings.IcebergSettings, output settings.Location, s3 settings.S3Settings) (*iceberg.Catalog, error) {
	return openIceberg(ctx, s.IcebergOptions(output, s3))
}

// OpenIcebergTables opens the catalog of a command that creates nothing in
// it (ls, show, files, gc): not its tables, nor its namespace; the caller
// closes it.
func OpenIcebergTables(ctx context.Context, s *settings.IcebergSettings, output settings.Location, s3 settings.S3Settings) (*iceberg.Catalog, error) {
	o := s.IcebergOptions(output, s3)
	o.NoCreate = true
	return openIceberg(ctx, o)
}

func openIceberg(ctx context.Context, o iceberg.Options) (*iceberg.Catalog, error) {
	c, err := iceberg.Open(ctx, o)
	if err != nil {
		return nil, failure.Storage(fmt.Errorf("open the iceberg catalog: %w", err))
	}
	return c, nil
}
