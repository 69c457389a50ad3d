package iceberg

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/logsmith/logsmith/table"
)

// maxLedger bounds an input ledger (a run's listing, ~100 bytes an
// object): a read stops there, and no commit writes a longer one, so that
// every ledger written can be read back.
var maxLedger = 256 << 20

// Ledger reads the input objects of the commit h holds (h.Inputs), as the
// commit recorded them; a head without a ledger has none.
func (t *Table) Ledger(ctx context.Context, h *Head) ([]table.Input, error) {
	if h == nil || h.Inputs == "" {
		return nil, nil
	}
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	fs, err := tbl.FS(ctx)
	if err != nil {
		return nil, fmt.Errorf("read input ledger of %s: %w", t.Identifier(), err)
	}
	f, err := fs.Open(h.Inputs)
	if err != nil {
		return nil, fmt.Errorf("read input ledger %s: %w", h.Inputs, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(maxLedger)+1))
	if err != nil {
		return nil, fmt.Errorf("read input ledger %s: %w", h.Inputs, err)
	}
	if len(b) > maxLedger {
		return nil, fmt.Errorf("read input ledger %s: over %d bytes: %w", h.Inputs, maxLedger, table.ErrManifestTooLarge)
	}
	var in []table.Input
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode input ledger %s: %w", h.Inputs, err)
	}
	return in, nil
}

// MetadataLocation is the URL of the table's current metadata file: what
// a reader without a catalog (DuckDB's iceberg_scan) opens.
func (t *Table) MetadataLocation(ctx context.Context) (string, error) {
	tbl, err := t.load(t.c.with(ctx))
	if err != nil {
		return "", err
	}
	return tbl.MetadataLocation(), nil
}
