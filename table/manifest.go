package table

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
)

// ManifestVersion is the version of the manifest format written. Version 1
// manifests (data under run=ID folders) are still read, for migration.
const ManifestVersion = 2

// Manifest states.
const (
	// StateCommitted: the manifest describes the data objects in place.
	StateCommitted = "committed"
	// StateClaimed: a command is replacing the partition; Previous is the
	// commit still in force until it finishes.
	StateClaimed = "claimed"
)

// Manifest describes one date partition of one table.
type Manifest struct {
	ManifestVersion int    `json:"manifest_version"`
	State           string `json:"state"`
	SchemaVersion   string `json:"schema_version"`
	Window          string `json:"window"`
	// Schema is the table's columns.
	Schema    []features.Column `json:"schema"`
	Date      string            `json:"date"`
	RunID     string            `json:"run_id"`
	Version   string            `json:"logsmith_version"`
	StartedAt time.Time         `json:"started_at"`
	ClaimedAt time.Time         `json:"claimed_at,omitzero"`
	RenewedAt time.Time         `json:"renewed_at,omitzero"` // a claim's last renewal

	CommittedAt time.Time `json:"committed_at,omitzero"`
	Rows        int       `json:"rows"`
	// PartitionEvents counts the events aggregated into this partition's
	// rows, each once however many sliding windows hold it (EventsOnce);
	// -1 when not known (a partition migrated from version 1). Without
	// EventsOnce (an older logsmith) it is the sum of request_count
	// over the windows starting on Date.
	PartitionEvents int64 `json:"partition_events"`
	// EventsOnce says PartitionEvents counts each event once.
	EventsOnce   bool            `json:"partition_events_once,omitempty"`
	Files        []File          `json:"files"`
	Inputs       []Input         `json:"inputs"`
	Lines        int64           `json:"lines"`
	Events       int64           `json:"events"`
	OutOfRange   int64           `json:"out_of_range"`
	FoldedEvents int64           `json:"folded_events"`
	Damaged      []DamagedObject `json:"damaged_objects,omitempty"`
	Rejects      string          `json:"rejects_file,omitempty"`
	BadLines     int64           `json:"bad_lines"`
	// BadByReason counts skipped lines by reason.
	BadByReason map[string]int64  `json:"bad_by_reason"`
	Warnings    []string          `json:"warnings,omitempty"`
	Config      map[string]string `json:"config"`
	ConfigHash  string            `json:"config_hash"`

	// Covered is the part of the date the run's input covers (see
	// docs/output.md, Dense output): the dense rows fill only it. Nil in
	// manifests written before it was recorded.
	Covered *Span `json:"covered,omitempty"`

	// UnknownLevels, when some events had a level that is not a known
	// one, are those levels.
	UnknownLevels *UnknownLevels `json:"unknown_levels,omitempty"`

	// Quality is what the partition was judged on (--max-bad-ratio): the
	// lines and objects of the run attributed to its date and table.
	Quality *Quality `json:"quality,omitempty"`

	// Supersedes is the run whose commit this one replaced.
	Supersedes string `json:"supersedes,omitempty"`
	// Previous, in a claim, is the commit still in force (nil if none).
	Previous *Manifest `json:"previous,omitempty"`
	// Uploads, in a claim, are the data writes its command has begun: a
	// command that takes the claim over aborts them before it writes.
	Uploads []storage.Upload `json:"uploads,omitempty"`
	// Abandoned, in a claim that took another over, are that claim's
	// uploads, kept until they are aborted.
	Abandoned []storage.Upload `json:"abandoned_uploads,omitempty"`
	// ReleasedAt, in a claim, says its command gave it up before writing
	// any data: the partition holds what Previous says (nothing, since a
	// claim with a previous commit is released by putting that back).
	ReleasedAt time.Time `json:"released_at,omitzero"`
	// SkippedObjects counts, by reason, the objects listed under the input
	// and not read (hidden, checksum, folder_marker): they are in no
	// ledger, so that one appearing or going does not make a commit stale.
	SkippedObjects map[string]int64 `json:"skipped_objects,omitempty"`
}

// Span is a time span, [From, To).
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Whole reports whether the span covers the whole of the UTC date.
func (s *Span) Whole(date string) bool {
	d, err := time.Parse(time.DateOnly, date)
	return err == nil && !s.From.After(d) && !s.To.Before(d.AddDate(0, 0, 1))
}

// File is one data object of a partition.
type File struct {
	// Path is relative to the partition folder (part-00000.parquet; in
	// version 1 manifests run=ID/part-00000.parquet).
	Path      string `json:"path"`
	Format    string `json:"format"`
	Size      int64  `json:"size"`
	Rows      int    `json:"rows"`
	SHA256    string `json:"sha256"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"version_id,omitempty"`
}

// Input is one input object a partition was computed from.
type Input struct {
	URL  string `json:"url"`
	Size int64  `json:"size"`
	ETag string `json:"etag"`
}

// Quality is the input attributed to one date (or to a set of dates): its
// lines, bad lines, objects and bytes, and the damaged share of them. An
// object whose events span dates is attributed to each in proportion to its
// events there, so the numbers may be fractions.
type Quality struct {
	Lines          float64 `json:"lines"`
	BadLines       float64 `json:"bad_lines"`
	Objects        float64 `json:"objects"`
	DamagedObjects float64 `json:"damaged_objects"`
	Bytes          float64 `json:"bytes"`
	DamagedBytes   float64 `json:"damaged_bytes"`
}

// Add adds o to q, scaled by w.
func (q *Quality) Add(o Quality, w float64) {
	q.Lines += o.Lines * w
	q.BadLines += o.BadLines * w
	q.Objects += o.Objects * w
	q.DamagedObjects += o.DamagedObjects * w
	q.Bytes += o.Bytes * w
	q.DamagedBytes += o.DamagedBytes * w
}

// DamagedObject is an input object that could not be read to its end.
type DamagedObject struct {
	URL string `json:"url"`
	// Reason says what was wrong. A truncated compressed stream keeps the
	// lines before the cut; any other damage (a failed CRC-32, ISIZE or
	// zstd checksum, corrupt compressed data, trailing garbage, a size over
	// --max-object-bytes) rejects the object whole (Rejected, no line kept).
	Reason   string `json:"reason"`
	Rejected bool   `json:"rejected"`
	Lines    int64  `json:"lines_kept"`
}

// UnknownLevels are the level values of a run's events that were neither a
// known error, warning nor non-error: counted as non-errors, most likely a
// vocabulary --level-map should name.
type UnknownLevels struct {
	Field  string `json:"field"`  // the configured level field
	Events int64  `json:"events"` // the events written that had such a level
	// Values are the values with their events, most frequent first: every
	// distinct value when AllValues, else the features.MaxLevelValues
	// byte-wise smallest of them (see features.LevelValues).
	Values    []features.LevelValue `json:"values"`
	AllValues bool                  `json:"all_values"`
}

// Committed returns the commit in force that m describes: m itself, or for
// a claim the commit it is replacing (nil if none).
func (m *Manifest) Committed() *Manifest {
	if m == nil || m.State != StateClaimed {
		return m
	}
	return m.Previous
}

// SameInputs reports whether m was computed from exactly these inputs with
// this config.
func (m *Manifest) SameInputs(inputs []Input, configHash string) bool {
	if m == nil || m.ConfigHash != configHash || len(m.Inputs) != len(inputs) {
		return false
	}
	for i := range inputs {
		if m.Inputs[i] != inputs[i] {
			return false
		}
	}
	return true
}

// FilesOf returns m's files in a format.
func (m *Manifest) FilesOf(format string) []File {
	var fs []File
	for _, f := range m.Files {
		if f.Format == format {
			fs = append(fs, f)
		}
	}
	return fs
}

// Encode renders m as indented JSON.
func (m *Manifest) Encode() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(m) // a Manifest always encodes
	return buf.Bytes()
}

// MaxManifestBytes bounds a manifest: a read stops there, and no command
// writes a longer one (ErrManifestTooLarge), so that every manifest written
// can be read back. A claim holds the commit it replaces, so a commit's own
// manifest may take 2/5 of it (Committer.ManifestLimit): ~250 bytes an
// input object, about 400,000 objects a date.
const MaxManifestBytes = 256 << 20

// ErrManifestTooLarge is a manifest over the bound: one not written, or
// one read back that is longer. No retry can help (storage/objio treats
// it as permanent).
var ErrManifestTooLarge error = permanentError("manifest over the size limit")

// permanentError is an error no retry of the call can cure.
type permanentError string

func (e permanentError) Error() string { return string(e) }

// Permanent tells storage/objio's retries not to retry.
func (permanentError) Permanent() bool { return true }

// checkSize refuses to write body, a manifest for what (a step of a
// command on key), when it is over limit bytes.
func checkSize(what string, body []byte, limit int) error {
	if len(body) > limit {
		return fmt.Errorf("%s: the manifest would be %d bytes, over %d (too many input objects for one date?): %w", what, len(body), limit, ErrManifestTooLarge)
	}
	return nil
}

func decodeManifest(ctx context.Context, b Bucket, info storage.ObjectInfo) (*Manifest, []byte, error) {
	key := info.Key
	rc, err := b.OpenListed(ctx, info, 0, -1)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, int64(MaxManifestBytes)+1))
	if err != nil {
		return nil, nil, err
	}
	if len(raw) > MaxManifestBytes {
		return nil, nil, fmt.Errorf("over %d bytes: %w", MaxManifestBytes, ErrManifestTooLarge)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("decode manifest %s: %w", key, err)
	}
	return m, raw, nil
}

// ParseManifest decodes a manifest of any version this logsmith reads.
func ParseManifest(raw []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if m.ManifestVersion < 1 || m.ManifestVersion > ManifestVersion {
		return nil, fmt.Errorf("manifest version %d; this logsmith reads 1 to %d", m.ManifestVersion, ManifestVersion)
	}
	if m.State == "" {
		m.State = StateCommitted // version 1
	}
	return &m, nil
}

// Head is the state of a partition as a command read it: its manifest and
// that manifest's ETag, or nothing (Manifest nil, ETag "") when the
// partition has never been committed.
type Head struct {
	Manifest *Manifest
	ETag     string
	raw      []byte // the manifest as stored, to restore it byte for byte
}

// CommitID names the commit in force the head holds (its run and commit
// time): the manifest, or for any claim — a command's, GC's, one given up
// — the commit it keeps as previous. A claim changes who may write, not
// what is committed, and a manifest put back byte for byte names the same
// commit whatever its ETag, so heads compare by CommitID where ETags would
// see a change that is none. "" means no commit.
func (h Head) CommitID() string {
	m := h.Manifest.Committed()
	if m == nil {
		return ""
	}
	return m.RunID + " " + m.CommittedAt.UTC().Format(time.RFC3339Nano)
}

// gcClaim reports whether the head is GC's claim.
func (h Head) gcClaim() bool {
	return h.Manifest != nil && h.Manifest.State == StateClaimed && h.Manifest.RunID == gcRunID
}

// HeadIDs returns the CommitID of every partition of t, by date: the heads
// of all its partitions, for a command that does not know in advance which
// dates it will commit.
func (t Table) HeadIDs(ctx context.Context) (map[string]string, error) {
	dates, err := t.Dates(ctx)
	if err != nil {
		return nil, err
	}
	ids := map[string]string{}
	for _, d := range dates {
		h, err := t.ReadHead(ctx, d)
		if err != nil {
			return nil, err
		}
		if id := h.CommitID(); id != "" {
			ids[d] = id
		}
	}
	return ids, nil
}

// Exists reports whether the partition had a manifest.
func (h Head) Exists() bool { return h.ETag != "" }

// ReadHead reads the head of t's partition of date. A partition never
// committed gives an empty Head and no error.
func (t Table) ReadHead(ctx context.Context, date string) (Head, error) {
	key := t.ManifestKey(date)
	var h Head
	etag, err := readSettled(ctx, t.Bucket, key, func(before storage.ObjectInfo) (err error) {
		if before.Size > MaxManifestBytes {
			return fmt.Errorf("%d bytes, over %d: %w", before.Size, MaxManifestBytes, ErrManifestTooLarge)
		}
		h.Manifest, h.raw, err = decodeManifest(ctx, t.Bucket, before)
		return err
	})
	if err != nil || etag == "" {
		return Head{}, wrapIf(err, "read manifest "+key)
	}
	h.ETag = etag
	return h, nil
}
