package storage_test

import (
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

func TestLocalConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		l, err := storage.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	})
}

func TestS3Conformance(t *testing.T) {
	storagetest.S3Config(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		s, _ := storagetest.NewBucket(t)
		return s
	})
}
