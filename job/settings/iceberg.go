package settings

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// TableFormatNames are the names --table-format takes, sorted; package
// job opens each (job/formats.go, whose test checks the two agree).
var TableFormatNames = []string{"hive", "iceberg"}

// reservedColumns are the names no column may take: the hive layout's
// folder keys and the Iceberg partition field.
func reservedColumns() []string {
	return append(slices.Clone(table.PartitionKeys), iceberg.PartitionField)
}

// redactURL masks the passwords a catalog or database setting may hold
// (see iceberg.Redact).
func redactURL(v string) string { return iceberg.Redact(v) }

// IcebergOptions says where a command's Iceberg catalog and warehouse are:
// the warehouse is the output location; the default catalog of a local
// output is a SQLite file in it.
func (s *IcebergSettings) IcebergOptions(loc Location, s3 S3Settings) iceberg.Options {
	o := iceberg.Options{Catalog: s.IcebergCatalog, Namespace: s.IcebergNamespace, S3: s3.StorageConfig(),
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
	o := s.IcebergOptions(output, S3Settings{})
	if s.IcebergCatalog != "" || !strings.HasPrefix(o.Catalog, "sqlite://") {
		return true
	}
	_, err := os.Stat(strings.TrimPrefix(o.Catalog, "sqlite://"))
	return err == nil
}

// GCOptions are the expiry settings as iceberg.GCOptions. A retention of
// 0 expires every snapshot beyond the kept ones.
func (s *IcebergSettings) GCOptions() iceberg.GCOptions {
	return iceberg.GCOptions{ExpireOlderThan: s.IcebergSnapshotRetention, RetainLast: s.IcebergKeepSnapshots}
}

// isIcebergTableName reports whether name spells a window as an Iceberg
// table's name (features_15m_5m), which pin also takes.
func isIcebergTableName(name string) bool {
	_, err := iceberg.ParseTableName(name)
	return err == nil
}

// check validates the Iceberg settings of a command writing to output in
// formats; it returns the field of the bad setting.
func (s *IcebergSettings) check(output string, formats []string) (string, error) {
	if !slices.Contains(TableFormatNames, s.TableFormat) {
		return "TableFormat", fmt.Errorf("%q: want %s", s.TableFormat, strings.Join(TableFormatNames, " or "))
	}
	// The Iceberg settings are checked whatever the format: a bad value
	// is refused now, not when the format is switched.
	if s.Iceberg() && formats != nil && !slices.Equal(formats, []string{"parquet"}) {
		return "Format", fmt.Errorf("%q: an Iceberg table holds Parquet only", strings.Join(formats, ","))
	}
	if s.IcebergNamespace == "" || slices.Contains(strings.Split(s.IcebergNamespace, "."), "") {
		return "IcebergNamespace", fmt.Errorf("%q: want names separated by dots", s.IcebergNamespace)
	}
	if s.IcebergKeepSnapshots < 1 {
		return "IcebergKeepSnapshots", fmt.Errorf("%d: keep at least 1", s.IcebergKeepSnapshots)
	}
	if s.IcebergSnapshotRetention < 0 {
		return "IcebergSnapshotRetention", fmt.Errorf("%v: must not be negative", s.IcebergSnapshotRetention)
	}
	cat := s.IcebergCatalog
	switch scheme, _, _ := strings.Cut(cat, "://"); {
	case cat == "":
		if loc, err := ParseLocation(output); s.Iceberg() && err == nil && loc.Scheme != "file" {
			return "IcebergCatalog", errors.New("required with an s3:// output: the default SQLite catalog is a local file")
		}
	case cat == "glue":
	case scheme == "sqlite":
		if !strings.HasPrefix(cat, "sqlite:///") || len(cat) == len("sqlite:///") {
			return "IcebergCatalog", fmt.Errorf("%q: want sqlite:///absolute/path/catalog.db", redactURL(cat))
		}
	case scheme == "postgres" || scheme == "postgresql" || scheme == "http" || scheme == "https":
		if u, err := url.Parse(cat); err != nil || u.Host == "" {
			return "IcebergCatalog", fmt.Errorf("%q: want %s://host/…", redactURL(cat), scheme)
		}
	default:
		return "IcebergCatalog", fmt.Errorf("%q: want sqlite:///…, postgres://…, http(s)://… or glue", redactURL(cat))
	}
	if s.IcebergRESTSigV4 != "" && s.IcebergRESTSigV4 != "glue" && s.IcebergRESTSigV4 != "s3tables" {
		return "IcebergRESTSigV4", fmt.Errorf("%q: want glue or s3tables", s.IcebergRESTSigV4)
	}
	if !s.Iceberg() && s.IcebergCatalog != "" {
		return "IcebergCatalog", fmt.Errorf("applies only with --table-format iceberg (the table format is %s)", s.TableFormat)
	}
	return "", nil
}
