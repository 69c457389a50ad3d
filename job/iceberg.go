package job

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
	"github.com/logsmith/logsmith/table/iceberg"
)

// icebergOptions says where a command's Iceberg catalog and warehouse are:
// the warehouse is the output location; the default catalog of a local
// output is a SQLite file in it.
func (s *IcebergSettings) icebergOptions(loc Location, s3 S3Settings) iceberg.Options {
	o := iceberg.Options{Catalog: s.IcebergCatalog, Namespace: s.IcebergNamespace, S3: s3.storageConfig(),
		RESTCredential: s.IcebergRESTCredential, RESTToken: s.IcebergRESTToken,
		RESTWarehouse: s.IcebergRESTWarehouse, RESTSigV4Service: s.IcebergRESTSigV4}
	switch loc.Scheme {
	case "s3":
		o.Warehouse = "s3://" + loc.Bucket + "/" + strings.TrimSuffix(loc.Prefix, "/")
	default:
		dir := filepath.Join(loc.Dir, loc.Prefix)
		o.Warehouse = dir
		if o.Catalog == "" {
			o.Catalog = "sqlite://" + filepath.ToSlash(filepath.Join(dir, "_catalog.db"))
		}
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

// icebergKey names an Iceberg table in a run's heads (shard partials carry
// them), apart from any folder of the hive layout.
func icebergKey(w features.Window) string { return "iceberg:" + iceberg.TableName(w) }

// icebergHeadID identifies the commit a date's head holds; "" for none.
func icebergHeadID(h *iceberg.Head) string {
	if h == nil {
		return ""
	}
	return strconv.FormatInt(h.SnapshotID, 10) + "/" + h.RunID + "/" + h.CommittedAt.UTC().Format(time.RFC3339Nano)
}

// icebergTables prepares the run's Iceberg tables (checking, changing
// nothing: commitIceberg creates or evolves them) and records their heads
// as startHeads does for the hive layout.
func (rs *runState) icebergTables(ctx context.Context) error {
	rs.heads = map[string]map[string]string{}
	rs.iceTables = map[string]*iceberg.Table{}
	cols := rs.res.Columns
	for _, w := range rs.res.Windows {
		t, err := rs.ice.Prepare(ctx, w, cols)
		if err != nil {
			return icebergTableErr(err)
		}
		rs.iceTables[w.String()] = t
		heads := map[string]string{}
		if rs.res.Date == "" {
			hs, err := t.Heads(ctx)
			if err != nil {
				return storageErr(err)
			}
			for d, h := range hs {
				heads[d] = icebergHeadID(&h)
			}
		} else {
			h, err := t.Head(ctx, rs.res.Date)
			if err != nil {
				return storageErr(err)
			}
			if h != nil {
				heads[rs.res.Date] = icebergHeadID(h)
				rs.iceHeads = append(rs.iceHeads, h)
			}
		}
		rs.heads[icebergKey(w)] = heads
	}
	return nil
}

// icebergTableErr classifies a failure to check, create or evolve a
// table: a change of meaning is a config error, the rest the catalog's.
func icebergTableErr(err error) error {
	if errors.Is(err, iceberg.ErrIncompatible) {
		return &kindError{KindConfig, err}
	}
	return storageErr(err)
}

// icebergAllCommitted returns the skipped partitions when every table of
// the date is committed from the same config and the same input objects.
func (rs *runState) icebergAllCommitted(ctx context.Context) []PartitionResult {
	if len(rs.iceHeads) != len(rs.res.Windows) {
		return nil
	}
	var res []PartitionResult
	for i, w := range rs.res.Windows {
		h := rs.iceHeads[i]
		if h.ConfigHash != rs.configHash {
			return nil
		}
		inputs, err := rs.iceTables[w.String()].Ledger(ctx, h)
		if err != nil || !slices.Equal(inputs, rs.manifestInputs) {
			return nil
		}
		res = append(res, PartitionResult{Window: w.String(), Date: rs.res.Date, Status: StatusSkipped, RunID: h.RunID, Rows: int(h.Rows),
			SnapshotID: h.SnapshotID, SnapshotIDStr: strconv.FormatInt(h.SnapshotID, 10)})
	}
	return res
}

// commitIceberg commits each date of each table as one snapshot, against
// the head the run started from: a date another run committed since fails
// the run with KindLostRace, the dates committed before it stand.
func (rs *runState) commitIceberg(ctx context.Context, total *features.Partial) (*Summary, error) {
	sum := rs.sum
	meta := iceberg.CommitMeta{RunID: rs.runID, Version: rs.opts.Version, ConfigHash: rs.configHash, Inputs: rs.manifestInputs}
	type pending struct {
		w    features.Window
		date string
		rows []features.Row
		head *iceberg.Head
	}
	var todo []pending
	for _, w := range rs.res.Windows {
		t := rs.iceTables[w.String()]
		byDate, dates, err := rs.tableRows(total, w)
		if err != nil {
			return rs.done(), err
		}
		// The table's heads now, read once for all its dates.
		heads, err := t.Heads(ctx)
		if err != nil {
			return rs.done(), storageErr(err)
		}
		for _, d := range dates {
			var h *iceberg.Head
			if hd, ok := heads[d]; ok {
				h = &hd
			}
			if icebergHeadID(h) != rs.heads[icebergKey(w)][d] {
				winner := "unknown"
				if h != nil {
					winner = h.RunID
				}
				err := &kindError{KindLostRace, fmt.Errorf("commit %s of %s: run %s committed it after this run started: %w",
					d, t.Identifier(), winner, table.ErrLostRace)}
				rs.dropRejectsIfRefused(ctx, err)
				return rs.done(), err
			}
			if h != nil {
				if err := rs.checkNotWorse(d, t.Identifier(), h.RunID, requests(byDate[d]), h.Events, true); err != nil {
					rs.dropRejectsIfRefused(ctx, err)
					return rs.done(), err
				}
			}
			todo = append(todo, pending{w: w, date: d, rows: byDate[d], head: h})
		}
	}
	// Every run commits its partitions in one order (table name, then
	// date), as the hive layout claims them in key order: two runs of a
	// date meet at the same first partition, and the one that loses there
	// has committed nothing.
	slices.SortFunc(todo, func(a, b pending) int {
		return cmp.Or(cmp.Compare(iceberg.TableName(a.w), iceberg.TableName(b.w)), cmp.Compare(a.date, b.date))
	})
	// Only now, with every check passed, are the tables created or given
	// their new columns: a run refused above changes nothing.
	for _, p := range todo {
		if t := rs.iceTables[p.w.String()]; t.Writable() {
			continue
		}
		t, err := rs.ice.Table(ctx, p.w, rs.res.Columns)
		if err != nil {
			return rs.done(), icebergTableErr(err)
		}
		rs.iceTables[p.w.String()] = t
	}
	for i, p := range todo {
		t := rs.iceTables[p.w.String()]
		if rs.opts.BeforePublish != nil {
			rs.opts.BeforePublish(ctx, p.date)
		}
		rs.phase("committing date " + p.date)
		m := meta
		m.Events = requests(p.rows)
		// Once the first partition is committed, a cancellation (SIGTERM)
		// does not stop the run half-way through its partitions: each
		// commit is bounded instead.
		cctx, cancel := ctx, context.CancelFunc(func() {})
		if i > 0 {
			cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), icebergCommitTimeout)
		}
		h, err := t.CommitDate(cctx, p.date, p.rows, m, p.head)
		cancel()
		if err != nil {
			sum.Partitions = append(sum.Partitions, PartitionResult{Window: p.w.String(), Date: p.date, Status: StatusLost, RunID: rs.runID})
			rs.dropRejectsIfRefused(ctx, err)
			return rs.done(), commitErr(err)
		}
		sum.Partitions = append(sum.Partitions, PartitionResult{Window: p.w.String(), Date: p.date, Status: StatusCommitted,
			RunID: rs.runID, Rows: len(p.rows), SnapshotID: h.SnapshotID, SnapshotIDStr: strconv.FormatInt(h.SnapshotID, 10)})
		// The id as a string, as in --json: a JSON log would round the number.
		rs.log.Info("committed", "table", t.Identifier(), "date", p.date, "snapshot_id", strconv.FormatInt(h.SnapshotID, 10), "rows", len(p.rows))
	}
	rs.icebergGC(ctx)
	rs.gc(ctx) // the output's _rejects/ and _partials/
	return rs.done(), nil
}

// icebergGC expires the run's tables' old snapshots (logsmith gc also
// removes orphan files); a failure is logged: the commit stands.
func (rs *runState) icebergGC(ctx context.Context) {
	for _, w := range rs.res.Windows {
		t := rs.iceTables[w.String()]
		if !t.Writable() {
			continue // nothing committed to it: maybe not even created
		}
		// Orphan removal walks the whole table: logsmith gc does it.
		opts := rs.cfg.IcebergSettings.GCOptions()
		opts.OrphanOlderThan = -1
		res, err := t.GC(ctx, opts)
		if err != nil {
			rs.log.Warn("iceberg garbage collection", "table", t.Identifier(), "error", err)
			continue
		}
		if res.ExpiredSnapshots > 0 || len(res.RemovedFiles) > 0 {
			rs.log.Info("expired snapshots and removed orphan files", "table", t.Identifier(),
				"expired", res.ExpiredSnapshots, "removed", len(res.RemovedFiles))
		}
	}
}

// icebergCommitTimeout bounds one date's commit once a run has committed a
// partition and no longer stops when cancelled.
const icebergCommitTimeout = 2 * time.Minute

// GCOptions are the expiry settings as iceberg.GCOptions. A retention of
// 0 expires every snapshot beyond the kept ones.
func (s *IcebergSettings) GCOptions() iceberg.GCOptions {
	return iceberg.GCOptions{ExpireOlderThan: s.IcebergSnapshotRetention, RetainLast: s.IcebergKeepSnapshots}
}
