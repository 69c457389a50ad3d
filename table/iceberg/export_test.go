package iceberg

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go/catalog"
	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
)

// Raw is the iceberg-go catalog, for tests that set up tables by hand.
func (c *Catalog) Raw() catalog.Catalog { return c.cat }

// Ident is a table's identifier in the catalog.
func (c *Catalog) Ident(name string) []string { return c.ident(name) }

// Load is the table's current iceberg-go table.
func (t *Table) Load(ctx context.Context) (*icetable.Table, error) { return t.load(ctx) }

// Scan reads the whole table at snapshotID (0: the current snapshot) with
// iceberg-go's scan.
func (t *Table) Scan(ctx context.Context, snapshotID int64) (arrow.Table, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	var opts []icetable.ScanOption
	if snapshotID != 0 {
		opts = append(opts, icetable.WithSnapshotID(snapshotID))
	}
	return tbl.Scan(opts...).ToArrowTable(ctx)
}

// ReadFile reads a file of the warehouse by URL.
func (t *Table) ReadFile(ctx context.Context, url string) ([]byte, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	f, err := fs.Open(url)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes a file of the warehouse by URL.
func (t *Table) WriteFile(ctx context.Context, url string, b []byte) error {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return err
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return err
	}
	return fs.(iceio.WriteFileIO).WriteFile(url, b)
}

// Location is the table's location.
func (t *Table) Location(ctx context.Context) (string, error) {
	tbl, err := t.load(ctx)
	if err != nil {
		return "", err
	}
	return tbl.Location(), nil
}

// View reads the heads and all rows of one version of the table's
// metadata, so that a commit landing meanwhile cannot make them disagree.
func (t *Table) View(ctx context.Context) (map[string]Head, arrow.Table, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	hs, err := heads(tbl)
	if err != nil {
		return nil, nil, err
	}
	at, err := tbl.Scan().ToArrowTable(ctx)
	return hs, at, err
}

// SetMaxLedger sets the input ledger's size bound until the returned
// function restores it.
func SetMaxLedger(n int) (restore func()) {
	old := maxLedger
	maxLedger = n
	return func() { maxLedger = old }
}

// OnLoad runs f after each load of the table's metadata (nil: nothing).
func (t *Table) OnLoad(f func(ctx context.Context)) { t.loaded = f }

// ScanMetadataFile reads the rows of snapshotID from the metadata file at
// loc alone, without the catalog, as a catalog-less reader (DuckDB's
// iceberg_scan) does.
func (t *Table) ScanMetadataFile(ctx context.Context, loc string, snapshotID int64) (arrow.Table, error) {
	ctx = t.c.with(ctx)
	cur, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	tbl, err := icetable.NewFromLocation(ctx, cur.Identifier(), loc, cur.FS, nil)
	if err != nil {
		return nil, err
	}
	return tbl.Scan(icetable.WithSnapshotID(snapshotID)).ToArrowTable(ctx)
}

// WarehouseIO is the file IO the catalog's tables use for url, made from
// o as Open makes it (o's S3 settings; the catalog's CA file, if any).
func (c *Catalog) WarehouseIO(ctx context.Context, o Options, url string) (iceio.IO, error) {
	return iceio.LoadFS(c.with(ctx), ioProps(o), url)
}
