package job_test

import (
	"context"
	"fmt"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// tableAt returns the table at loc (the output, or one of its window=W
// folders given as the location's prefix).
func tableAt(b job.Bucket, loc settings.Location) table.Table {
	return table.NewOutput(b, loc.Prefix).Table("", false)
}

// readManifest reads the manifest in force of a partition; it fails with
// storage.ErrNotExist when there is none.
func readManifest(ctx context.Context, b job.Bucket, loc settings.Location, date string) (*job.Manifest, string, error) {
	h, err := tableAt(b, loc).ReadHead(ctx, date)
	if err != nil {
		return nil, "", err
	}
	if h.Manifest == nil {
		return nil, "", fmt.Errorf("manifest of %s: %w", date, storage.ErrNotExist)
	}
	return h.Manifest, h.ETag, nil
}

// committedFiles returns the keys of a committed partition's data objects
// in a format and its manifest.
func committedFiles(ctx context.Context, b job.Bucket, loc settings.Location, date, format string) ([]string, *job.Manifest, error) {
	t := tableAt(b, loc)
	m, err := t.Committed(ctx, date, time.Minute)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		return nil, nil, fmt.Errorf("manifest of %s: %w", date, storage.ErrNotExist)
	}
	var keys []string
	for _, f := range m.FilesOf(format) {
		keys = append(keys, t.PartitionPrefix(date)+f.Path)
	}
	return keys, m, nil
}

// listManifests returns the manifests of the table at loc, by date.
func listManifests(ctx context.Context, b job.Bucket, loc settings.Location) ([]*job.Manifest, error) {
	return tableAt(b, loc).Manifests(ctx)
}
