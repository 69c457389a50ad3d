package iceberg

import (
	"context"
	"errors"
	"fmt"
	stdfs "io/fs"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/logsmith/logsmith/features"
)

// Table is one feature table in the catalog. Its methods load the table's
// current metadata from the catalog on every call; it is safe for
// concurrent use.
type Table struct {
	c      *Catalog
	name   string
	window features.Window
	cols   features.Columns
	write  bool // opened by Catalog.Table: may commit
	// loaded, when set (by tests), runs after each load of the table's
	// metadata: the named point where another actor may change the table
	// under a reader that has just read it.
	loaded func(ctx context.Context)
}

// Table opens the table of window w for a run writing cols, creating it
// when it does not exist and adding the columns it lacks (schema
// evolution). A table whose contract differs otherwise is refused with an
// error wrapping ErrIncompatible.
func (c *Catalog) Table(ctx context.Context, w features.Window, cols features.Columns) (*Table, error) {
	ctx = c.with(ctx)
	if err := cols.Validate(PartitionField); err != nil {
		return nil, err
	}
	name := TableName(w)
	t := &Table{c: c, name: name, window: w, cols: cols, write: true}
	for attempt := 0; ; attempt++ {
		tbl, err := c.cat.LoadTable(ctx, c.ident(name))
		if errors.Is(err, catalog.ErrNoSuchTable) {
			err = t.create(ctx)
			if errors.Is(err, catalog.ErrTableAlreadyExists) {
				continue // created by another run meanwhile
			}
			if err != nil {
				return nil, err
			}
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load iceberg table %s: %w", name, err)
		}
		err = t.evolve(ctx, tbl)
		if err != nil && conflict(err) && attempt < 10 {
			if err := sleep(ctx, attempt); err != nil {
				return nil, err
			}
			continue // changed by another run meanwhile: check again
		}
		if err != nil {
			return nil, err
		}
		return t, nil
	}
}

// Prepare checks that window w's table can take cols, as Table does, but
// changes nothing: a table that does not exist yet is not created (its
// Head and Heads are empty) and a missing column is not added. A run
// prepares its tables when it starts, reads their heads, and calls Table
// only once it is about to commit, so that a run refused on the way
// leaves the catalog as it was. It wraps ErrIncompatible when the table's
// columns, window or partitioning mean something else.
func (c *Catalog) Prepare(ctx context.Context, w features.Window, cols features.Columns) (*Table, error) {
	ctx = c.with(ctx)
	if err := cols.Validate(PartitionField); err != nil {
		return nil, err
	}
	name := TableName(w)
	t := &Table{c: c, name: name, window: w, cols: cols}
	tbl, err := c.cat.LoadTable(ctx, c.ident(name))
	if errors.Is(absent(err), catalog.ErrNoSuchTable) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load iceberg table %s: %w", name, err)
	}
	if _, err := evolution(tbl.Schema(), tbl.Metadata().PartitionSpecs(), tbl.Properties(), w, cols); err != nil {
		return nil, fmt.Errorf("iceberg table %s: %w", t.Identifier(), err)
	}
	return t, nil
}

// OpenTable opens an existing table by name for reading and GC (ls, show,
// files, gc): no schema is checked. It wraps catalog.ErrNoSuchTable when
// there is none.
func (c *Catalog) OpenTable(ctx context.Context, name string) (*Table, error) {
	ctx = c.with(ctx)
	if _, err := c.cat.LoadTable(ctx, c.ident(name)); err != nil {
		return nil, fmt.Errorf("load iceberg table %s: %w", name, err)
	}
	return &Table{c: c, name: name}, nil
}

// Writable reports whether t was opened by Table, created and with its
// columns, so that CommitDate may write to it (not by Prepare or OpenTable).
func (t *Table) Writable() bool { return t.write }

// Name is the table's name in its namespace, e.g. features_5m.
func (t *Table) Name() string { return t.name }

// Identifier is the table's full name, namespace first (logsmith.features_5m).
func (t *Table) Identifier() string { return strings.Join(t.c.ident(t.name), ".") }

func (t *Table) create(ctx context.Context) error {
	sc, err := newSchema(t.cols)
	if err != nil {
		return err
	}
	spec, err := iceberg.NewPartitionSpecOpts(iceberg.AddPartitionFieldByName("window_start", PartitionField, iceberg.DayTransform{}, sc, nil))
	if err != nil {
		return fmt.Errorf("partition spec: %w", err)
	}
	props := contractProps(t.window, t.cols)
	props[icetable.ParquetCompressionKey] = "zstd"
	for k, v := range metadataProps {
		props[k] = v
	}
	_, err = t.c.cat.CreateTable(ctx, t.c.ident(t.name), sc,
		catalog.WithPartitionSpec(&spec),
		catalog.WithLocation(t.c.location(t.name)),
		catalog.WithProperties(props))
	if err != nil {
		return fmt.Errorf("create iceberg table %s: %w", t.name, err)
	}
	return nil
}

// evolve checks tbl against the run's contract and adds the columns it
// lacks, in one commit.
func (t *Table) evolve(ctx context.Context, tbl *icetable.Table) error {
	add, err := evolution(tbl.Schema(), tbl.Metadata().PartitionSpecs(), tbl.Properties(), t.window, t.cols)
	if err != nil {
		return fmt.Errorf("iceberg table %s: %w", t.Identifier(), err)
	}
	newer := tbl.Properties()[propSchemaVersion] != features.SchemaVersion
	deletes := tbl.Properties()[icetable.MetadataDeleteAfterCommitEnabledKey] != metadataProps[icetable.MetadataDeleteAfterCommitEnabledKey]
	if len(add) == 0 && !newer && !deletes {
		return nil
	}
	tx := tbl.NewTransaction()
	if deletes {
		// A table an earlier logsmith created deletes the metadata
		// files its log drops, pinned ones included: no longer.
		if err := tx.SetProperties(metadataProps); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		us := tx.UpdateSchema(true, false)
		for _, c := range add {
			typ, err := icebergType(c)
			if err != nil {
				return err
			}
			// Added columns are optional: rows committed before have none.
			us = us.AddColumn([]string{c.Name}, typ, c.Meaning, false, nil)
		}
		if err := us.Commit(); err != nil {
			return fmt.Errorf("evolve iceberg table %s: %w", t.Identifier(), err)
		}
		// The name mapping iceberg-go set from the first schema lacks the
		// new columns: drop it, and the next commit sets it afresh.
		if _, ok := tbl.Properties()[icetable.DefaultNameMappingKey]; ok {
			if err := tx.RemoveProperties([]string{icetable.DefaultNameMappingKey}); err != nil {
				return err
			}
		}
	}
	if newer {
		// Only ever raised: an older logsmith writing a newer table
		// leaves the version as it is.
		if cur := tbl.Properties()[propSchemaVersion]; versionLess(cur, features.SchemaVersion) {
			if err := tx.SetProperties(iceberg.Properties{propSchemaVersion: features.SchemaVersion}); err != nil {
				return err
			}
		}
	}
	if _, err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("evolve iceberg table %s: %w", t.Identifier(), err)
	}
	return nil
}

// metadataProps keep every metadata file a commit writes: the metadata log
// lists the newest 20, and GC removes an older one only once every
// snapshot it lists has expired, so that a reader who pinned a snapshot
// through a metadata file (DuckDB's iceberg_scan) can read it as long as
// the snapshot is retained. Iceberg would delete a file as soon as the log
// dropped it.
var metadataProps = iceberg.Properties{
	icetable.MetadataDeleteAfterCommitEnabledKey: "false",
	icetable.MetadataPreviousVersionsMaxKey:      "20",
}

// movedOn tells whether err, from reading the files of tbl (a state of
// the table this process loaded), is a file gone because the table has
// moved on since: another run committed and its expiry removed the
// snapshot tbl had as current, with the files only it referenced. The read
// is then to be done again on the current state. A file missing while tbl
// is still current is damage, not that.
func (t *Table) movedOn(ctx context.Context, tbl *icetable.Table, err error) bool {
	if err == nil || !errors.Is(err, stdfs.ErrNotExist) {
		return false
	}
	cur, lerr := t.load(ctx)
	return lerr == nil && cur.MetadataLocation() != tbl.MetadataLocation()
}

// versionLess compares "major.minor" versions.
func versionLess(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am < bm || am == bm && an < bn
}

// load reads the table's current metadata from the catalog.
func (t *Table) load(ctx context.Context) (*icetable.Table, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.c.cat.LoadTable(ctx, t.c.ident(t.name))
	if err != nil {
		return nil, fmt.Errorf("load iceberg table %s: %w", t.name, absent(err))
	}
	if t.loaded != nil {
		t.loaded(ctx)
	}
	return tbl, nil
}

// sleep waits before retry attempt n+1: 50ms doubling up to 2s, jittered.
func sleep(ctx context.Context, n int) error {
	d := 50 * time.Millisecond << min(n, 6)
	d = min(d, 2*time.Second)
	d = d/2 + rand.N(d/2+1)
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(d):
		return nil
	}
}

// absent marks as catalog.ErrNoSuchTable the errors of a catalog opened
// without creating anything (Options.NoCreate) where no run has created
// the table's namespace, or a SQL catalog's own tables, yet: the table
// does not exist either.
func absent(err error) error {
	if errors.Is(err, catalog.ErrNoSuchNamespace) || noCatalogTables(err) {
		return fmt.Errorf("%w: %w", catalog.ErrNoSuchTable, err)
	}
	return err
}
