package iceberg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/iceberg-go/catalog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/iceberg-go"
	iceio "github.com/apache/iceberg-go/io"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/google/uuid"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/table"
)

// Snapshot summary properties a commit sets.
const (
	summaryRunID      = "logsmith.run-id"
	summaryVersion    = "logsmith.version"
	summaryConfigHash = "logsmith.config-hash"
	summaryDate       = "logsmith.date"
	summaryRows       = "logsmith.rows"
	summaryEvents     = "logsmith.events"
	summaryInputs     = "logsmith.inputs"
)

// Head is what a date of a table holds: the commit that last replaced it.
type Head struct {
	// SnapshotID is the snapshot the commit made (a reader pins it); for a
	// date committed with no rows and no rows before, the snapshot that was
	// current then (0 on a table without snapshots).
	SnapshotID  int64     `json:"snapshot_id"`
	RunID       string    `json:"run_id"`
	Version     string    `json:"logsmith_version,omitempty"`
	ConfigHash  string    `json:"config_hash,omitempty"`
	CommittedAt time.Time `json:"committed_at"`
	Rows        int64     `json:"rows"`
	// Events counts the events in the date's rows (each once per window
	// holding it): a date with rows but no events is a zero-filled day.
	Events int64 `json:"events"`
	// Inputs is the URL of the input ledger: a JSON array of the run's
	// input objects ({url, size, etag}) beside the table's metadata.
	Inputs string `json:"inputs,omitempty"`
}

func (h *Head) same(o *Head) bool {
	if h == nil || o == nil {
		return h == o
	}
	return h.SnapshotID == o.SnapshotID && h.RunID == o.RunID && h.CommittedAt.Equal(o.CommittedAt)
}

// CommitMeta describes the run that commits.
type CommitMeta struct {
	RunID      string
	Version    string // logsmith's version
	ConfigHash string
	Inputs     []table.Input
	// Events is the events the rows hold (the sum of request_count).
	Events int64
}

// Heads reads every date's head, by date (YYYY-MM-DD), from the table's
// current metadata; none for a table not created yet (see Prepare).
func (t *Table) Heads(ctx context.Context) (map[string]Head, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return map[string]Head{}, nil
	}
	if err != nil {
		return nil, err
	}
	return heads(tbl)
}

// Head reads one date's head; nil when the date was never committed (or
// the table not created yet).
func (t *Table) Head(ctx context.Context, date string) (*Head, error) {
	ctx = t.c.with(ctx)
	tbl, err := t.load(ctx)
	if errors.Is(err, catalog.ErrNoSuchTable) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return head(tbl, date)
}

func heads(tbl *icetable.Table) (map[string]Head, error) {
	hs := map[string]Head{}
	for k := range tbl.Properties() {
		if date, ok := strings.CutPrefix(k, propHeadPrefix); ok {
			h, err := head(tbl, date)
			if err != nil {
				return nil, err
			}
			hs[date] = *h
		}
	}
	return hs, nil
}

func head(tbl *icetable.Table, date string) (*Head, error) {
	v, ok := tbl.Properties()[propHeadPrefix+date]
	if !ok {
		return nil, nil
	}
	var h Head
	if err := json.Unmarshal([]byte(v), &h); err != nil {
		return nil, fmt.Errorf("table property %s%s: %w", propHeadPrefix, date, err)
	}
	return &h, nil
}

// CommitDate replaces the rows of date (YYYY-MM-DD, UTC) with rows, in one
// atomic catalog commit, provided the date's head is still expected (nil:
// the date was never committed) as read when the run started. Every row's
// window_start must fall on date. It returns the new head.
//
// When the catalog refuses because another date was committed meanwhile,
// it reloads the table and tries again. When the date's head is no longer
// expected it returns an error wrapping table.ErrLostRace and leaves the
// table as the other run committed it. Data files and the input ledger of a
// commit that did not happen are removed; after an error whose outcome is
// unknown (see the package doc) they are left for GC.
//
// No rows for a date that holds no file change nothing: no snapshot is
// made and the date's head stays (the returned head names the current
// snapshot). A commit without a snapshot could not be ordered against
// another run's by the catalog.
func (t *Table) CommitDate(ctx context.Context, date string, rows []features.Row, m CommitMeta, expected *Head) (Head, error) {
	ctx = t.c.with(ctx)
	if !t.write {
		return Head{}, fmt.Errorf("commit %s: table opened for reading", t.name)
	}
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return Head{}, fmt.Errorf("commit %s: date %q: %w", t.name, date, err)
	}
	for i := range rows {
		if ws := rows[i].WindowStart; ws.Before(day) || !ws.Before(day.AddDate(0, 0, 1)) {
			return Head{}, fmt.Errorf("commit %s date %s: row %d starts at %s, another date", t.name, date, i, ws.UTC().Format(time.RFC3339))
		}
	}
	what := fmt.Sprintf("commit %s date %s", t.Identifier(), date)
	tbl, err := t.load(ctx)
	if err != nil {
		return Head{}, err
	}
	if err := checkHead(tbl, date, expected, what); err != nil {
		return Head{}, err
	}
	if len(rows) == 0 {
		// A commit that adds and removes no file makes no snapshot, so the
		// catalog's requirement on main could not order it against another
		// run's: a date with no rows and no files is left as it is.
		old, err := dateFiles(ctx, tbl, day)
		if err != nil {
			return Head{}, fmt.Errorf("%s: list current files: %w", what, err)
		}
		if len(old) == 0 {
			h := Head{RunID: m.RunID, Version: m.Version, ConfigHash: m.ConfigHash, CommittedAt: time.Now().UTC().Truncate(time.Millisecond)}
			if s := tbl.CurrentSnapshot(); s != nil {
				h.SnapshotID = s.SnapshotID
			}
			return h, nil
		}
	}

	w := &pending{what: what}
	defer func() { w.abandon(ctx) }()
	ledger, err := w.writeLedger(ctx, tbl, date, m)
	if err != nil {
		return Head{}, err
	}
	summary := iceberg.Properties{
		summaryRunID:      m.RunID,
		summaryVersion:    m.Version,
		summaryConfigHash: m.ConfigHash,
		summaryDate:       date,
		summaryRows:       strconv.Itoa(len(rows)),
		summaryEvents:     strconv.FormatInt(m.Events, 10),
		summaryInputs:     ledger,
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, attempt-1); err != nil {
				return Head{}, fmt.Errorf("%s: %w", what, err)
			}
			if tbl, err = t.load(ctx); err != nil {
				return Head{}, err
			}
			if err := checkHead(tbl, date, expected, what); err != nil {
				return Head{}, err
			}
		}
		if err := w.writeData(ctx, tbl, t.cols, rows); err != nil {
			return Head{}, err
		}
		// A read of this state's files that finds them gone because the
		// table moved on (a newer commit's expiry removed the state's
		// snapshot) is tried again on the new state, like a conflict.
		stale := func(err error) bool { return attempt < maxAttempts && t.movedOn(ctx, tbl, err) }
		old, err := dateFiles(ctx, tbl, day)
		if stale(err) {
			continue
		}
		if err != nil {
			return Head{}, fmt.Errorf("%s: list current files: %w", what, err)
		}
		tx := tbl.NewTransaction()
		// The catalog applies the commit only if main is still where this
		// attempt read it: the date's head and files checked above stand.
		if err := tx.AssertRefSnapshotID(icetable.MainBranch); err != nil {
			return Head{}, fmt.Errorf("%s: %w", what, err)
		}
		err = tx.ReplaceDataFilesWithDataFiles(ctx, old, w.files, summary)
		if stale(err) {
			continue
		}
		if err != nil {
			return Head{}, fmt.Errorf("%s: %w", what, err)
		}
		staged, err := tx.StagedTable()
		if err != nil {
			return Head{}, fmt.Errorf("%s: %w", what, err)
		}
		h := Head{RunID: m.RunID, Version: m.Version, ConfigHash: m.ConfigHash, Rows: int64(len(rows)), Events: m.Events, Inputs: ledger, CommittedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if s := staged.CurrentSnapshot(); s != nil {
			h.SnapshotID = s.SnapshotID
			if cur := tbl.CurrentSnapshot(); cur == nil || cur.SnapshotID != s.SnapshotID {
				h.CommittedAt = time.UnixMilli(s.TimestampMs).UTC()
			}
		}
		hv, err := json.Marshal(h)
		if err != nil {
			return Head{}, err
		}
		if err := tx.SetProperties(iceberg.Properties{propHeadPrefix + date: string(hv)}); err != nil {
			return Head{}, fmt.Errorf("%s: %w", what, err)
		}
		_, err = tx.Commit(ctx)
		if err == nil {
			w.committed()
			return h, nil
		}
		if !conflict(err) {
			// The catalog may have applied it: look, while we can.
			if cur, lerr := t.load(ctx); lerr == nil {
				if h2, _ := head(cur, date); h2.same(&h) {
					w.committed()
					return h, nil
				}
			}
			if stale(err) {
				continue // refused before it reached the catalog
			}
			w.unknown()
			return Head{}, fmt.Errorf("%s: %w", what, err)
		}
		if attempt >= maxAttempts {
			return Head{}, fmt.Errorf("%s: gave up after %d conflicts: %w", what, attempt+1, err)
		}
	}
}

// maxAttempts bounds the attempts of one commit that meets conflicts.
const maxAttempts = 50

// conflict tells whether a commit was refused because the table changed
// since it was read: nothing was applied and the commit can be tried again
// on the new state. iceberg-go's REST catalog reports this as
// ErrCommitFailed; its SQL catalog returns the failed requirement's own
// error ("requirement failed: …"), which wraps nothing.
func conflict(err error) bool {
	return errors.Is(err, icetable.ErrCommitFailed) || strings.Contains(err.Error(), "requirement failed: ")
}

// checkHead fails with table.ErrLostRace unless date's head in tbl is expected.
func checkHead(tbl *icetable.Table, date string, expected *Head, what string) error {
	cur, err := head(tbl, date)
	if err != nil {
		return err
	}
	if cur.same(expected) {
		return nil
	}
	if cur == nil {
		return fmt.Errorf("%s: the date's commit by run %s is gone: %w", what, expected.RunID, table.ErrLostRace)
	}
	return fmt.Errorf("%s: run %s committed first (snapshot %d): %w", what, cur.RunID, cur.SnapshotID, table.ErrLostRace)
}

// pending tracks the files one CommitDate wrote, so that they are removed
// again unless the commit happened or may have happened.
type pending struct {
	what     string
	fs       iceio.IO
	ledger   string
	files    []iceberg.DataFile
	schemaID int
	keep     bool
}

func (w *pending) writeLedger(ctx context.Context, tbl *icetable.Table, date string, m CommitMeta) (string, error) {
	fs, err := tbl.FS(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", w.what, err)
	}
	w.fs = fs
	wfs, ok := fs.(iceio.WriteFileIO)
	if !ok {
		return "", fmt.Errorf("%s: the warehouse is not writable", w.what)
	}
	inputs := m.Inputs
	if inputs == nil {
		inputs = []table.Input{}
	}
	b, err := json.Marshal(inputs)
	if err != nil {
		return "", err
	}
	if len(b) > maxLedger {
		return "", fmt.Errorf("%s: input ledger of %d objects: %d bytes, over %d (too many input objects for one date): %w",
			w.what, len(inputs), len(b), maxLedger, table.ErrManifestTooLarge)
	}
	loc := tbl.Location() + "/metadata/logsmith-inputs-" + date + "-" + uuid.NewString() + ".json"
	if err := wfs.WriteFile(loc, b); err != nil {
		return "", fmt.Errorf("%s: write input ledger: %w", w.what, err)
	}
	w.ledger = loc
	return loc, nil
}

// writeData writes rows as data files of tbl's current schema, once per
// schema: a retry reuses the files of an earlier attempt.
func (w *pending) writeData(ctx context.Context, tbl *icetable.Table, cols features.Columns, rows []features.Row) error {
	if len(rows) == 0 {
		return nil
	}
	sc := tbl.Schema()
	if w.files != nil && w.schemaID == sc.ID {
		return nil
	}
	w.removeData()
	rec, err := record(sc, cols, rows)
	if err != nil {
		return fmt.Errorf("%s: %w", w.what, err)
	}
	batches := iter.Seq2[arrow.RecordBatch, error](func(yield func(arrow.RecordBatch, error) bool) { yield(rec, nil) })
	for df, err := range icetable.WriteRecords(ctx, tbl, rec.Schema(), batches, icetable.WithMaxWriteWorkers(1)) {
		if err != nil {
			return fmt.Errorf("%s: write data files: %w", w.what, err)
		}
		w.files = append(w.files, df)
	}
	w.schemaID = sc.ID
	return nil
}

func (w *pending) committed() { w.keep = true }
func (w *pending) unknown()   { w.keep = true }

// abandon removes what was written for a commit that did not happen. It
// runs after the caller's context may have ended, so it does not use it.
func (w *pending) abandon(context.Context) {
	if w.keep || w.fs == nil {
		return
	}
	w.removeData()
	if w.ledger != "" {
		_ = w.fs.Remove(w.ledger)
	}
}

func (w *pending) removeData() {
	for _, df := range w.files {
		_ = w.fs.Remove(df.FilePath())
	}
	w.files = nil
}

// dateFiles lists the data files of day in tbl's current snapshot.
func dateFiles(ctx context.Context, tbl *icetable.Table, day time.Time) ([]iceberg.DataFile, error) {
	if tbl.CurrentSnapshot() == nil {
		return nil, nil
	}
	tasks, err := tbl.Scan(icetable.WithRowFilter(dayFilter(day))).PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	want := int64(day.Unix() / 86400)
	var files []iceberg.DataFile
	seen := map[string]bool{} // a large file is planned as several splits
	for _, task := range tasks {
		if d, ok := partitionDay(task.File); ok && d != want || seen[task.File.FilePath()] {
			continue
		}
		seen[task.File.FilePath()] = true
		files = append(files, task.File)
	}
	slices.SortFunc(files, func(a, b iceberg.DataFile) int { return strings.Compare(a.FilePath(), b.FilePath()) })
	return files, nil
}

// dayFilter selects the rows whose window starts on day.
func dayFilter(day time.Time) iceberg.BooleanExpression {
	ref := iceberg.Reference("window_start")
	return iceberg.NewAnd(
		iceberg.GreaterThanEqual(ref, iceberg.Timestamp(day.UnixMicro())),
		iceberg.LessThan(ref, iceberg.Timestamp(day.AddDate(0, 0, 1).UnixMicro())))
}

// partitionDay is a data file's day(window_start), in days since 1970.
func partitionDay(df iceberg.DataFile) (int64, bool) {
	for _, v := range df.Partition() {
		switch d := v.(type) {
		case iceberg.Date:
			return int64(d), true
		case int32:
			return int64(d), true
		case int64:
			return d, true
		case *iceberg.Date:
			if d != nil {
				return int64(*d), true
			}
		case *int32:
			if d != nil {
				return int64(*d), true
			}
		}
	}
	return 0, false
}
