package job

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/logsmith/logsmith/job/hive"
	"github.com/logsmith/logsmith/job/icebergfmt"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// This file is the one place in package job that knows the table formats
// by name: it opens the format --table-format names, and maps the Iceberg
// settings to the catalog's options. Everything else in job goes through
// tableFormat.

// tableFormats open a run's tables, by --table-format.
var tableFormats = map[string]func(ctx context.Context, rs *runState) (tableFormat, error){
	"hive":    openHive,
	"iceberg": openIcebergFormat,
}

// tableFormatNames are the names --table-format takes, sorted.
func tableFormatNames() []string { return slices.Sorted(maps.Keys(tableFormats)) }

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

// isIcebergTableName reports whether name spells a window as an Iceberg
// table's name (features_15m_5m), which pin also takes.
func isIcebergTableName(name string) bool {
	_, err := iceberg.ParseTableName(name)
	return err == nil
}

// reservedColumns are the names no column may take: the hive layout's
// folder keys and the Iceberg partition field.
func reservedColumns() []string {
	return append(slices.Clone(table.PartitionKeys), iceberg.PartitionField)
}

func openHive(_ context.Context, rs *runState) (tableFormat, error) {
	return &hive.Format{
		Output: rs.output(), OutputURL: rs.res.Output.String(), Windows: rs.res.Windows, Columns: rs.res.Columns,
		Formats: rs.cfg.Format,
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
	case IcebergCatalogExists(&cfg.IcebergSettings, rs.res.Output):
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

// redactURL masks the passwords a catalog or database setting may hold
// (see iceberg.Redact).
func redactURL(v string) string { return iceberg.Redact(v) }

// icebergOptions says where a command's Iceberg catalog and warehouse are:
// the warehouse is the output location; the default catalog of a local
// output is a SQLite file in it.
func (s *IcebergSettings) icebergOptions(loc Location, s3 S3Settings) iceberg.Options {
	o := iceberg.Options{Catalog: s.IcebergCatalog, Namespace: s.IcebergNamespace, S3: s3.storageConfig(),
		RESTCredential: s.IcebergRESTCredential, RESTToken: s.IcebergRESTToken,
		RESTWarehouse: s.IcebergRESTWarehouse, RESTSigV4Service: s.IcebergRESTSigV4}
	sc, ok := schemeNamed(loc.Scheme)
	if !ok {
		sc, _ = schemeNamed("file")
	}
	var catalog string
	o.Warehouse, catalog = sc.warehouse(loc)
	if o.Catalog == "" {
		o.Catalog = catalog
	}
	return o
}

// IcebergCatalogExists reports whether a command's catalog may hold
// tables: false only for the default SQLite catalog of a local output when
// its file does not exist (opening it would create it).
func IcebergCatalogExists(s *IcebergSettings, output Location) bool {
	o := s.icebergOptions(output, S3Settings{})
	if s.IcebergCatalog != "" || !strings.HasPrefix(o.Catalog, "sqlite://") {
		return true
	}
	_, err := os.Stat(strings.TrimPrefix(o.Catalog, "sqlite://"))
	return err == nil
}

// OpenIceberg opens the catalog of a command's Iceberg tables; the caller
// closes it.
func OpenIceberg(ctx context.Context, s *IcebergSettings, output Location, s3 S3Settings) (*iceberg.Catalog, error) {
	return openIceberg(ctx, s.icebergOptions(output, s3))
}

// OpenIcebergTables opens the catalog of a command that creates nothing in
// it (ls, show, files, gc): not its tables, nor its namespace; the caller
// closes it.
func OpenIcebergTables(ctx context.Context, s *IcebergSettings, output Location, s3 S3Settings) (*iceberg.Catalog, error) {
	o := s.icebergOptions(output, s3)
	o.NoCreate = true
	return openIceberg(ctx, o)
}

func openIceberg(ctx context.Context, o iceberg.Options) (*iceberg.Catalog, error) {
	c, err := iceberg.Open(ctx, o)
	if err != nil {
		return nil, storageErr(fmt.Errorf("open the iceberg catalog: %w", err))
	}
	return c, nil
}

// GCOptions are the expiry settings as iceberg.GCOptions. A retention of
// 0 expires every snapshot beyond the kept ones.
func (s *IcebergSettings) GCOptions() iceberg.GCOptions {
	return iceberg.GCOptions{ExpireOlderThan: s.IcebergSnapshotRetention, RetainLast: s.IcebergKeepSnapshots}
}
