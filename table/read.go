package table

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logsmith/logsmith/storage"
)

func hashObject(ctx context.Context, b Bucket, key string) (string, error) {
	rc, err := b.Open(ctx, key, 0)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Committed returns the commit in force of t's partition of date: the
// manifest, or for a claim whose command has not replaced any data object
// yet, the commit the claim keeps as previous. While data objects are
// being replaced it waits (up to wait) for the claim to be published or
// released, so that the manifest returned describes the objects in place.
// It returns nil when the partition has no commit.
func (t Table) Committed(ctx context.Context, date string, wait time.Duration) (*Manifest, error) {
	deadline := time.Now().Add(wait)
	for {
		h, err := t.ReadHead(ctx, date)
		if err != nil {
			return nil, err
		}
		m := h.Manifest
		if m == nil || m.State == StateCommitted {
			return m, nil
		}
		if untouched, err := t.untouched(ctx, date, m.Previous); err != nil {
			return nil, err
		} else if untouched {
			return m.Previous, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("read %s: run %s has been publishing it since %s: %w",
				t.ManifestKey(date), m.RunID, m.ClaimedAt.Format(time.RFC3339), ErrClaimed)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// untouched reports whether the partition's data objects are still those
// prev lists (by ETag), or, with no previous commit, absent.
func (t Table) untouched(ctx context.Context, date string, prev *Manifest) (bool, error) {
	formats := Formats
	if prev != nil {
		formats = nil
		for _, f := range prev.Files {
			if f.ETag == "" {
				return false, nil // version 1 layout or unknown: cannot tell
			}
			formats = append(formats, f.Format)
		}
	}
	for _, format := range formats {
		st, err := t.Bucket.Stat(ctx, t.DataKey(date, format))
		switch {
		case prev == nil && errors.Is(err, storage.ErrNotExist):
			continue
		case err != nil && !errors.Is(err, storage.ErrNotExist):
			return false, err
		case err != nil || prev == nil:
			return false, nil
		}
		if fs := prev.FilesOf(format); len(fs) != 1 || fs[0].Path != dataBase+format || fs[0].ETag != st.ETag {
			return false, nil
		}
	}
	return true, nil
}

// ErrClaimed means a partition is being published by a command (or one was
// killed while publishing it, until its claim is taken over or collected).
var ErrClaimed = fmt.Errorf("partition is being published")

// Manifests returns the manifests of t's partitions as they are (claims
// included), sorted by date; dates selects some (all when empty).
func (t Table) Manifests(ctx context.Context, dates ...string) ([]*Manifest, error) {
	if len(dates) == 0 {
		var err error
		if dates, err = t.Dates(ctx); err != nil {
			return nil, err
		}
	}
	var ms []*Manifest
	for _, d := range dates {
		h, err := t.ReadHead(ctx, d)
		if err != nil {
			return nil, err
		}
		if h.Manifest != nil {
			ms = append(ms, h.Manifest)
		}
	}
	return ms, nil
}

// DataFile is one committed data object, for a reader that wants an exact
// list of what to read.
type DataFile struct {
	Key       string `json:"key"`
	Window    string `json:"window"`
	Date      string `json:"date"`
	Format    string `json:"format"`
	Rows      int    `json:"rows"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"version_id,omitempty"`
}

// Files returns the committed data objects of t's partitions from from to
// to (inclusive; empty for no bound) in a format, by date. A partition
// being published is waited for up to wait.
func (t Table) Files(ctx context.Context, from, to, format string, wait time.Duration) ([]DataFile, error) {
	dates, err := t.Dates(ctx)
	if err != nil {
		return nil, err
	}
	var files []DataFile
	for _, d := range dates {
		if (from != "" && d < from) || (to != "" && d > to) {
			continue
		}
		m, err := t.Committed(ctx, d, wait)
		if err != nil {
			return nil, err
		}
		if m == nil {
			continue
		}
		for _, f := range m.FilesOf(format) {
			files = append(files, DataFile{Key: t.PartitionPrefix(d) + f.Path, Window: m.Window, Date: d, Format: f.Format,
				Rows: f.Rows, Size: f.Size, SHA256: f.SHA256, ETag: f.ETag, VersionID: f.VersionID})
		}
	}
	return files, nil
}
