package job

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/logsmith/logsmith/features"
	"github.com/logsmith/logsmith/storage"
)

// ManifestVersion is the version of the manifest format.
const ManifestVersion = 1

// ManifestName is the object, inside each date partition, whose presence
// commits the partition. Readers read only the files it lists.
const ManifestName = "_manifest.json"

// Manifest describes one committed date partition.
type Manifest struct {
	ManifestVersion int               `json:"manifest_version"`
	SchemaVersion   string            `json:"schema_version"`
	Window          string            `json:"window"`
	Schema          []features.Column `json:"schema"`
	Date            string            `json:"date"`
	RunID           string            `json:"run_id"`
	Version         string            `json:"logsmith_version"`
	StartedAt       time.Time         `json:"started_at"`
	CommittedAt     time.Time         `json:"committed_at"`
	Rows            int               `json:"rows"`
	Files           []ManifestFile    `json:"files"`
	Inputs          []ManifestInput   `json:"inputs"`
	Lines           int64             `json:"lines"`
	Events          int64             `json:"events"`
	OutOfRange      int64             `json:"out_of_range"`
	FoldedEvents    int64             `json:"folded_events"`
	Damaged         []DamagedObject   `json:"damaged_objects,omitempty"`
	Rejects         string            `json:"rejects_file,omitempty"`
	BadLines        int64             `json:"bad_lines"`
	BadByReason     map[string]int64  `json:"bad_by_reason"`
	Config          map[string]string `json:"config"`
	ConfigHash      string            `json:"config_hash"`
	// Superseded lists earlier runs of this partition whose files are
	// deleted once their grace period has passed.
	Superseded []SupersededRun `json:"superseded,omitempty"`
}

// ManifestFile is one data file of a partition.
type ManifestFile struct {
	Path   string `json:"path"` // relative to the partition, e.g. run=ID/part-00000.parquet
	Format string `json:"format"`
	Size   int64  `json:"size"`
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
}

// ManifestInput is one input object a partition was computed from.
type ManifestInput struct {
	URL  string `json:"url"`
	Size int64  `json:"size"`
	ETag string `json:"etag"`
}

// SupersededRun is a replaced run awaiting deletion.
type SupersededRun struct {
	RunID string    `json:"run_id"`
	Since time.Time `json:"since"`
}

// partitionPrefix returns the key prefix of a date partition.
func partitionPrefix(out Location, date string) string {
	return out.Key("date=" + date + "/")
}

func runPrefix(out Location, date, runID string) string {
	return partitionPrefix(out, date) + "run=" + runID + "/"
}

// ReadManifest reads the committed manifest of a date partition and its
// ETag. It returns an error wrapping storage.ErrNotExist when the partition
// has never been committed.
func ReadManifest(ctx context.Context, b Bucket, out Location, date string) (*Manifest, string, error) {
	key := partitionPrefix(out, date) + ManifestName
	var err error
	// The manifest may be replaced while we read it: retry until the ETag
	// before and after the read agree, so the ETag returned is the content's.
	for range 5 {
		var before, after storage.ObjectInfo
		var m *Manifest
		if before, err = b.Stat(ctx, key); err != nil {
			return nil, "", err
		}
		m, err = decodeManifest(ctx, b, key)
		if errors.Is(err, storage.ErrPrecondition) || errors.Is(err, storage.ErrNotExist) {
			continue // replaced (or removed) under us
		}
		if err != nil {
			return nil, "", err
		}
		if after, err = b.Stat(ctx, key); err == nil && after.ETag == before.ETag {
			return m, before.ETag, nil
		}
	}
	return nil, "", fmt.Errorf("read manifest %s: kept changing while read: %w", key, err)
}

func decodeManifest(ctx context.Context, b Bucket, key string) (*Manifest, error) {
	rc, err := b.Open(ctx, key, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(rc, 64<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode manifest %s: %w", key, err)
	}
	return &m, nil
}

// Tables returns the table locations under out: out itself, or one per
// window=W folder when a run wrote several window specs.
func Tables(ctx context.Context, b Bucket, out Location) ([]Location, error) {
	seen := map[string]bool{}
	var tables []Location
	err := b.List(ctx, out.Key("window="), func(o storage.ObjectInfo) error {
		rest := strings.TrimPrefix(o.Key, out.Key(""))
		if w, _, ok := strings.Cut(rest, "/"); ok && !seen[w] {
			seen[w] = true
			t := out
			t.Prefix = out.Key(w)
			tables = append(tables, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tables of %s: %w", out, err)
	}
	return append([]Location{out}, tables...), nil
}

// ListAllManifests returns the manifests of every committed partition of
// every table under out, sorted by window then date.
func ListAllManifests(ctx context.Context, b Bucket, out Location) ([]*Manifest, error) {
	tables, err := Tables(ctx, b, out)
	if err != nil {
		return nil, err
	}
	var all []*Manifest
	for _, t := range tables {
		ms, err := ListManifests(ctx, b, t)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// ListManifests returns the manifests of every committed partition of the
// table at out, sorted by date.
func ListManifests(ctx context.Context, b Bucket, out Location) ([]*Manifest, error) {
	var dates []string
	err := b.List(ctx, out.Key("date="), func(o storage.ObjectInfo) error {
		rest := strings.TrimPrefix(o.Key, out.Key(""))
		if d, ok := strings.CutSuffix(rest, "/"+ManifestName); ok && strings.HasPrefix(d, "date=") && !strings.Contains(d, "/") {
			dates = append(dates, strings.TrimPrefix(d, "date="))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list partitions of %s: %w", out, err)
	}
	sort.Strings(dates)
	var ms []*Manifest
	for _, d := range dates {
		m, _, err := ReadManifest(ctx, b, out, d)
		if errors.Is(err, storage.ErrNotExist) {
			continue // removed since listing
		}
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// ConfigSnapshot returns the run's settings with secrets removed, and the
// hash of the settings that determine the output.
func ConfigSnapshot(cfg *Config) (map[string]string, string) {
	snap := map[string]string{}
	h := sha256.New()
	for _, s := range Settings(cfg) {
		if s.Secret {
			continue
		}
		v := s.FormatValue()
		snap[s.Env] = v
		if s.Hash {
			fmt.Fprintf(h, "%s=%q\n", s.Env, v)
		}
	}
	fmt.Fprintf(h, "schema=%s\n", SchemaVersion)
	return snap, "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func encodeManifest(m *Manifest) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(m) // a Manifest always encodes
	return buf.Bytes()
}

// sameInputs reports whether a committed manifest was computed from exactly
// these inputs with this config.
func (m *Manifest) sameInputs(inputs []ManifestInput, configHash string) bool {
	if m.ConfigHash != configHash || len(m.Inputs) != len(inputs) {
		return false
	}
	for i := range inputs {
		if m.Inputs[i] != inputs[i] {
			return false
		}
	}
	return true
}

// CommittedFiles returns the keys of a committed partition's files in the
// given format ("parquet" or "csv"), as its manifest lists them. This is how
// a reader sees only committed data.
func CommittedFiles(ctx context.Context, b Bucket, out Location, date, format string) ([]string, *Manifest, error) {
	m, _, err := ReadManifest(ctx, b, out, date)
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	for _, f := range m.Files {
		if f.Format == format {
			keys = append(keys, partitionPrefix(out, date)+f.Path)
		}
	}
	return keys, m, nil
}
