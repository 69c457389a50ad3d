package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table/iceberg"
)

// icebergOutput runs ls, show, files and gc on the Iceberg tables of an
// output (--table-format iceberg).
func icebergOutput(ctx context.Context, cmd string, cfg *job.OutputConfig, stdout io.Writer) error {
	if cmd == "migrate" {
		return &job.ConfigError{Env: "LOGSMITH_TABLE_FORMAT", Flag: "table-format", Err: errors.New("migrate rewrites the hive layout's version 1 outputs; Iceberg tables have none")}
	}
	if cmd == "gc" && cfg.Date != "" {
		return &job.ConfigError{Env: "LOGSMITH_DATE", Flag: "date", Err: errors.New("gc of Iceberg tables expires snapshots table-wide; it takes no date")}
	}
	enc := json.NewEncoder(stdout)
	var names []string
	var cat *iceberg.Catalog
	// A read-only command does not create the default catalog of an
	// output that has none (a mistyped --output): it holds no table.
	if job.IcebergCatalogExists(&cfg.IcebergSettings, cfg.Output) {
		var err error
		if cat, err = job.OpenIcebergTables(ctx, &cfg.IcebergSettings, cfg.Output, cfg.S3); err != nil {
			return err
		}
		defer cat.Close()
		if names, err = cat.Tables(ctx); err != nil {
			return job.StorageError(err)
		}
	}
	var tables []*iceberg.Table
	for _, n := range names {
		if cfg.Window != "" && n != cfg.Window && n != iceberg.TableNameOf(cfg.Window) {
			continue
		}
		t, err := cat.OpenTable(ctx, n)
		if err != nil {
			return job.StorageError(err)
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
				return job.StorageError(err)
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
				return job.StorageError(err)
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
	// ls and show: each date's head (show: of one date, with the table's
	// snapshots).
	type dateHead struct {
		Table string `json:"table"`
		Date  string `json:"date"`
		iceberg.Head
		// ReadSnapshotID is the retained snapshot that holds the date's
		// rows: the commit's own, or, once it expired, the current one.
		ReadSnapshotID int64 `json:"read_snapshot_id"`
		// MetadataLocation is the table's current metadata file (show).
		MetadataLocation string `json:"metadata_location,omitempty"`
	}
	var heads []dateHead
	for _, t := range tables {
		hs, err := t.Heads(ctx)
		if err != nil {
			return job.StorageError(err)
		}
		snaps, err := t.Snapshots(ctx)
		if err != nil {
			return job.StorageError(err)
		}
		retained, current := map[int64]bool{}, int64(0)
		for _, s := range snaps {
			retained[s.ID] = true
			if s.Current {
				current = s.ID
			}
		}
		for _, d := range slices.Sorted(maps.Keys(hs)) {
			if cmd == "show" && d != cfg.Date {
				continue
			}
			h := dateHead{Table: t.Identifier(), Date: d, Head: hs[d], ReadSnapshotID: hs[d].SnapshotID}
			if !retained[h.SnapshotID] {
				h.ReadSnapshotID = current
			}
			if cmd == "show" {
				if h.MetadataLocation, err = t.MetadataLocation(ctx); err != nil {
					return job.StorageError(err)
				}
			}
			heads = append(heads, h)
		}
	}
	if cmd == "show" {
		if len(heads) == 0 {
			return job.StorageError(fmt.Errorf("show %s: no committed partition: %w", cfg.Date, storage.ErrNotExist))
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
