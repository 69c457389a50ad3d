package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
)

// probe checks, before a command's other calls, that the objects of loc
// (its what: "input", "output") can be listed; see objio.Bucket.Probe. Its
// error names the location, the endpoint and the setting to check.
func probe(ctx context.Context, b *objio.Bucket, what string, loc settings.Location) error {
	err := b.Probe(ctx, loc.Key(""))
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s %s: %w", what, loc, err)
	if errors.Is(err, storage.ErrPermission) && loc.Scheme == "s3" {
		err = fmt.Errorf("%w; check LOGSMITH_S3_ACCESS_KEY and LOGSMITH_S3_SECRET_KEY (or the AWS credentials the process has) and LOGSMITH_S3_REGION", err)
	}
	return failure.Storage(err)
}

// listInputs lists the input of a run of cfg resolved as res (see
// input.List), opening each store with OpenInput and probing it.
func listInputs(ctx context.Context, cfg *settings.Config, res *settings.Resolved, policy objio.Policy, stdin io.Reader, log *slog.Logger) (*input.Listing, error) {
	return input.List(ctx, cfg, res, policy, stdin, log, func(ctx context.Context, loc settings.Location) (*objio.Bucket, error) {
		b, err := OpenInput(loc, res.S3, policy)
		if err != nil {
			return nil, err
		}
		// The first call to a store: a wrong endpoint, refused
		// credentials or a missing bucket fail here, at once.
		if err := probe(ctx, b, "input", loc); err != nil {
			return nil, err
		}
		return b, nil
	})
}
