package table

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/logsmith/logsmith/storage"
)

// Bucket is what the table needs from a store: objects (storage.Store),
// writes that a claim can fence off (storage.Uploader) and reads of the
// version a Stat saw (storage.ListedOpener, so a head read is the
// content of its ETag). storage.S3 and
// storage.Local implement it, and objio.Bucket around either.
type Bucket interface {
	storage.Store
	storage.Uploader
	storage.ListedOpener
}

// dirLister lists one level of folders; both storage backends have it. A
// wrapper may fail with errors.ErrUnsupported when its store has not.
type dirLister = storage.DirLister

// tempCollector removes temporary files of killed writes (storage.Local).
type tempCollector interface {
	RemoveStaleTemp(ctx context.Context, prefix string, olderThan time.Time) (int, error)
}

// Names of the objects in a partition folder and of the output's own
// folders. Every name a glob-reading tool must skip starts with "_".
const (
	ManifestName = "_manifest.json"
	dataBase     = "part-00000."
	rejectsDir   = "_rejects/"
	partialsDir  = "_partials/"
)

// PartitionKeys are the keys of the layout's hive folders (window=W and
// date=D), which hive-partitioned reads add as columns: no output column
// may be named like one.
var PartitionKeys = []string{"window", "date"}

// Formats are the data formats a table can hold, by file extension.
var Formats = []string{"parquet", "csv"}

// Output is an output location: a store and the key prefix of the output
// ("" for the store's root, else ending in a slash).
type Output struct {
	Bucket Bucket
	Prefix string
}

// NewOutput returns the output at prefix in b; a missing trailing slash is
// added.
func NewOutput(b Bucket, prefix string) Output {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return Output{Bucket: b, Prefix: prefix}
}

// Table is one feature table of an output: a window spec's date partitions.
type Table struct {
	Output
	// Window is the table's window name ("5m", "15m-every-5m"); Dir says whether
	// the table lives in its own window=W folder (runs with several specs).
	Window string
	Dir    bool
}

// Table returns the table of window name w. With dir, it lives in a
// window=W folder; without, at the output's root.
func (o Output) Table(w string, dir bool) Table {
	return Table{Output: o, Window: w, Dir: dir}
}

// Root returns the key prefix of the table's date folders.
func (t Table) Root() string {
	if t.Dir {
		return t.Prefix + "window=" + t.Window + "/"
	}
	return t.Prefix
}

// PartitionPrefix returns the folder of a date's partition.
func (t Table) PartitionPrefix(date string) string { return t.Root() + "date=" + date + "/" }

// ManifestKey returns the key of a date's manifest.
func (t Table) ManifestKey(date string) string { return t.PartitionPrefix(date) + ManifestName }

// DataKey returns the key of a date's data object in a format.
func (t Table) DataKey(date, format string) string {
	return t.PartitionPrefix(date) + dataBase + format
}

// RejectsKey returns the key of a run's sample of bad lines; date is empty
// for an undated run.
func (o Output) RejectsKey(date, runID string) string {
	if date == "" {
		return o.Prefix + rejectsDir + "run=" + runID + "/rejects.jsonl"
	}
	return o.Prefix + rejectsDir + "date=" + date + "/run=" + runID + "/rejects.jsonl"
}

// PartialsPrefix returns the folder of a sharded run's partials.
func (o Output) PartialsPrefix(date, runID string) string {
	return o.Prefix + partialsDir + "date=" + date + "/run=" + runID + "/"
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ValidDate reports whether d is a YYYY-MM-DD calendar date.
func ValidDate(d string) bool {
	if !dateRe.MatchString(d) {
		return false
	}
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

// listDirs lists the folders directly under prefix, by delimiter listing
// where the store has it.
func listDirs(ctx context.Context, b Bucket, prefix string) ([]string, error) {
	var dirs []string
	if dl, ok := b.(dirLister); ok {
		err := dl.ListDirs(ctx, prefix, func(d string) error { dirs = append(dirs, d); return nil })
		if !errors.Is(err, errors.ErrUnsupported) {
			return dirs, err
		}
		dirs = nil // a wrapper whose store cannot: list every key
	}
	seen := map[string]bool{}
	err := b.List(ctx, prefix, func(o storage.ObjectInfo) error {
		if name, _, ok := strings.Cut(strings.TrimPrefix(o.Key, prefix), "/"); ok && !seen[name] {
			seen[name] = true
			dirs = append(dirs, prefix+name+"/")
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

// Tables returns the tables under o: one per window=W folder, and the
// output's root table when it holds date folders.
func (o Output) Tables(ctx context.Context) ([]Table, error) {
	dirs, err := listDirs(ctx, o.Bucket, o.Prefix)
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", o.Prefix, err)
	}
	var tables []Table
	root := false
	for _, d := range dirs {
		name := strings.TrimSuffix(strings.TrimPrefix(d, o.Prefix), "/")
		switch {
		case strings.HasPrefix(name, "window="):
			tables = append(tables, o.Table(strings.TrimPrefix(name, "window="), true))
		case strings.HasPrefix(name, "date="):
			root = true
		}
	}
	if root {
		tables = append([]Table{o.Table("", false)}, tables...)
	}
	return tables, nil
}

// Dates returns the dates that have a partition folder in t, sorted.
func (t Table) Dates(ctx context.Context) ([]string, error) {
	dirs, err := listDirs(ctx, t.Bucket, t.Root())
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", t.Root(), err)
	}
	var dates []string
	for _, d := range dirs {
		name := strings.TrimSuffix(strings.TrimPrefix(d, t.Root()), "/")
		if date, ok := strings.CutPrefix(name, "date="); ok && ValidDate(date) {
			dates = append(dates, date)
		}
	}
	return dates, nil
}

// ErrLostRace means another command changed a partition's head after this
// command read it: that command's commit stands.
var ErrLostRace = errors.New("another run committed first")

// ErrOutcomeUnknown means a write of a partition's manifest failed and the
// head could not be read back to tell whether it landed: the commit (or
// claim) may be in force. Nothing it may name is to be deleted.
var ErrOutcomeUnknown = errors.New("the store did not say whether the manifest was written")
