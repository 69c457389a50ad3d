package job

import (
	"context"
	"errors"
	"fmt"

	"github.com/logsmith/logsmith/job/failure"
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
