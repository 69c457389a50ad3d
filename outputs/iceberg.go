package outputs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table/iceberg"
)

// icebergOutput runs ls, show, files, pin and gc on the Iceberg tables of an
// output (--table-format iceberg).
func icebergOutput(ctx context.Context, cmd string, cfg *settings.OutputConfig, stdout io.Writer) error {
	if cmd == "migrate" {
		return &settings.ConfigError{Env: "LOGSMITH_TABLE_FORMAT", Flag: "table-format", Err: errors.New("migrate rewrites the hive layout's version 1 outputs; Iceberg tables have none")}
	}
	if cmd == "pin" && cfg.Date != "" {
		return &settings.ConfigError{Env: "LOGSMITH_DATE", Flag: "date", Err: errors.New("pin prints the snapshot holding every committed date; it takes no date")}
	}
	if cmd == "gc" && cfg.Date != "" {
		return &settings.ConfigError{Env: "LOGSMITH_DATE", Flag: "date", Err: errors.New("gc of Iceberg tables expires snapshots table-wide; it takes no date")}
	}
	enc := json.NewEncoder(stdout)
	var names []string
	var cat *iceberg.Catalog
	loc, err := settings.ParseLocation(cfg.Output)
	if err != nil {
		return &settings.ConfigError{Env: "LOGSMITH_OUTPUT", Flag: "output", Err: err}
	}
	// A read-only command does not create the default catalog of an
	// output that has none (a mistyped --output): it holds no table.
	if settings.IcebergCatalogExists(&cfg.IcebergSettings, loc) {
		if cat, err = job.OpenIcebergTables(ctx, &cfg.IcebergSettings, loc, cfg.S3); err != nil {
			return err
		}
		defer cat.Close()
		if names, err = cat.Tables(ctx); err != nil {
			return failure.Storage(err)
		}
	}
	var tables []*iceberg.Table
	for _, n := range names {
		if w, err := iceberg.ParseTableName(n); cfg.Window != "" && n != cfg.Window && (err != nil || w.String() != cfg.Window) {
			continue
		}
		t, err := cat.OpenTable(ctx, n)
		if err != nil {
			return failure.Storage(err)
		}
		tables = append(tables, t)
	}
	switch cmd {
	case "gc":
		// The output's _rejects/ and _partials/ are kept as in the hive
		// layout; the tables' snapshots and files by Iceberg's own rules.
		out, loc, err := job.OpenOutput(cfg)
		if err != nil {
			return err
		}
		res, err := gcOutput(ctx, cfg, out, loc)
		if err != nil {
			return err
		}
		if cfg.JSON {
			if err := enc.Encode(res); err != nil {
				return err
			}
		} else {
			for _, d := range res.Deleted {
				fmt.Fprintln(stdout, "deleted", d)
			}
		}
		for _, t := range tables {
			res, err := t.GC(ctx, cfg.IcebergSettings.GCOptions())
			if err != nil {
				return failure.Storage(err)
			}
			if cfg.JSON {
				if err := enc.Encode(struct {
					Table string `json:"table"`
					iceberg.GCResult
				}{t.Identifier(), res}); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(stdout, "%s: expired %d snapshots\n", t.Identifier(), res.ExpiredSnapshots)
			for _, f := range res.RemovedFiles {
				fmt.Fprintln(stdout, "deleted", f)
			}
		}
		return nil
	case "files":
		for _, t := range tables {
			fs, err := t.Files(ctx, 0)
			if err != nil {
				return failure.Storage(err)
			}
			for _, f := range fs {
				if cfg.From != "" && f.Date < cfg.From || cfg.To != "" && f.Date > cfg.To {
					continue
				}
				if cfg.JSON {
					if err := enc.Encode(struct {
						Table string `json:"table"`
						iceberg.File
					}{t.Identifier(), f}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintln(stdout, f.URL)
			}
		}
		return nil
	}
	if cmd == "pin" {
		return pinTables(ctx, tables, cfg.JSON, stdout)
	}
	// ls and show: each date's head (show: of one date, with the table's
	// metadata file). Each table's are read from one load of its metadata,
	// so that the snapshot ids printed are in the metadata file printed.
	type dateHead struct {
		Table string `json:"table"`
		Date  string `json:"date"`
		iceberg.Head
		// SnapshotIDStr is SnapshotID as a string: ids exceed 2^53,
		// which jq 1.6 and JavaScript round.
		SnapshotIDStr string `json:"snapshot_id_str"`
		// ReadSnapshotID is the retained snapshot that holds the date's
		// rows: the commit's own, or, once it expired, the current one.
		ReadSnapshotID    int64  `json:"read_snapshot_id"`
		ReadSnapshotIDStr string `json:"read_snapshot_id_str"`
		// MetadataLocation is the table's current metadata file (show).
		MetadataLocation string `json:"metadata_location,omitempty"`
	}
	var heads []dateHead
	for _, t := range tables {
		p, err := t.Pin(ctx)
		if err != nil {
			return failure.Storage(err)
		}
		for _, d := range p.Dates() {
			if cmd == "show" && d != cfg.Date {
				continue
			}
			h := dateHead{Table: t.Identifier(), Date: d, Head: p.Heads[d], ReadSnapshotID: p.ReadSnapshotID(d)}
			h.SnapshotIDStr, h.ReadSnapshotIDStr = idString(h.SnapshotID), idString(h.ReadSnapshotID)
			if cmd == "show" {
				h.MetadataLocation = p.MetadataLocation
			}
			heads = append(heads, h)
		}
	}
	if cmd == "show" {
		if len(heads) == 0 {
			return failure.Storage(fmt.Errorf("show %s: no committed partition: %w", cfg.Date, storage.ErrNotExist))
		}
		enc.SetIndent("", "  ")
		for _, h := range heads {
			if err := enc.Encode(h); err != nil {
				return err
			}
		}
		return nil
	}
	if cfg.JSON {
		return enc.Encode(heads)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tDATE\tSNAPSHOT\tROWS\tEVENTS\tRUN\tCOMMITTED")
	for _, h := range heads {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", h.Table, h.Date, h.ReadSnapshotID, h.Rows, h.Events, h.RunID, h.CommittedAt.Format(time.RFC3339))
	}
	return tw.Flush()
}

// idString is a snapshot id as JSON prints it beside the number: ids
// exceed 2^53, which jq 1.6 and JavaScript round.
func idString(id int64) string { return strconv.FormatInt(id, 10) }

// pinTables prints, for each table, its current snapshot: the one id that
// reads every committed date as it is now (a date's own snapshot may lack
// dates committed after it, as in a parallel backfill), with the metadata
// file that lists it. Tables not committed to yet are left out; none at
// all is an error (exit 5), so that a job recording what it read cannot
// record nothing.
func pinTables(ctx context.Context, tables []*iceberg.Table, asJSON bool, stdout io.Writer) error {
	type tablePin struct {
		Table            string    `json:"table"`
		SnapshotID       int64     `json:"snapshot_id"`
		SnapshotIDStr    string    `json:"snapshot_id_str"`
		CommittedAt      time.Time `json:"committed_at"`
		MetadataLocation string    `json:"metadata_location"`
		Dates            []string  `json:"dates"`
	}
	var pins []tablePin
	for _, t := range tables {
		p, err := t.Pin(ctx)
		if err != nil {
			return failure.Storage(err)
		}
		if p.SnapshotID == 0 {
			continue
		}
		pins = append(pins, tablePin{Table: t.Identifier(), SnapshotID: p.SnapshotID, SnapshotIDStr: idString(p.SnapshotID),
			CommittedAt: p.CommittedAt, MetadataLocation: p.MetadataLocation, Dates: p.Dates()})
	}
	if len(pins) == 0 {
		return failure.Storage(fmt.Errorf("pin: no committed table: %w", storage.ErrNotExist))
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		for _, p := range pins {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSNAPSHOT\tCOMMITTED\tDATES\tMETADATA")
	for _, p := range pins {
		span := "0"
		if n := len(p.Dates); n > 0 {
			span = fmt.Sprintf("%d (%s to %s)", n, p.Dates[0], p.Dates[n-1])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Table, p.SnapshotIDStr, p.CommittedAt.Format(time.RFC3339), span, p.MetadataLocation)
	}
	return tw.Flush()
}
