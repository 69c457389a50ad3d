package objio_test

import (
	"testing"
	"time"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// retried is a backend seen through the retrying decorator, as every
// command sees it: its OpenListed (a head read's) included.
type retried struct {
	*objio.Bucket
}

// The decorator keeps the contract of what it wraps: every failure the
// suite provokes is permanent, so none is retried into another outcome.
func TestBucketConformance(t *testing.T) {
	p := objio.Policy{Deadline: 5 * time.Second}
	t.Run("local", func(t *testing.T) {
		storagetest.Run(t, func(t *testing.T) storagetest.Store {
			l, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return retried{objio.New(l, p)}
		})
	})
	t.Run("minio", func(t *testing.T) {
		storagetest.S3Config(t)
		storagetest.Run(t, func(t *testing.T) storagetest.Store {
			s, _ := storagetest.NewBucket(t)
			return retried{objio.New(s, p)}
		})
	})
}
