package storagetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/logsmith/logsmith/storage"
)

// deleteCases check the conditional delete: it removes the object it was
// given, as a listing or Stat saw it, and never one written since.
func deleteCases() []Case {
	ctx := context.Background()
	return []Case{
		{Name: "DeleteIf", Test: func(t testing.TB, s Store) {
			stat := func(key string) storage.ObjectInfo {
				t.Helper()
				info, err := s.Stat(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				return info
			}
			listed := func(key string) storage.ObjectInfo {
				t.Helper()
				var found storage.ObjectInfo
				if err := s.List(ctx, key, func(o storage.ObjectInfo) error {
					if o.Key == key {
						found = o
					}
					return nil
				}); err != nil || found.Key == "" {
					t.Fatalf("list %s: %v, found %+v", key, err, found)
				}
				return found
			}
			for _, seen := range []struct {
				name string
				info func(key string) storage.ObjectInfo
			}{{"stat", stat}, {"list", listed}} {
				for _, c := range []struct {
					name   string
					change func(key string) // after the decision
					want   string           // "" for no object
					err    error
				}{
					{"unchanged", func(string) {}, "", nil},
					{"rewritten", func(k string) { putString(t, s, k, "other bytes") }, "other bytes", storage.ErrPrecondition},
					{"deleted", func(k string) {
						if err := s.Delete(ctx, k); err != nil {
							t.Fatal(err)
						}
					}, "", nil},
					{"deleted and written anew", func(k string) {
						if err := s.Delete(ctx, k); err != nil {
							t.Fatal(err)
						}
						putString(t, s, k, "other bytes")
					}, "other bytes", storage.ErrPrecondition},
				} {
					key := "del/" + seen.name + "/" + c.name + "/part-00000.csv"
					putString(t, s, key, "decided")
					info := seen.info(key)
					c.change(key)
					err := s.DeleteIf(ctx, info)
					if (c.err == nil && err != nil) || (c.err != nil && !errors.Is(err, c.err)) {
						t.Errorf("%s (as %s saw it): DeleteIf: %v, want %v", c.name, seen.name, err, c.err)
					}
					got := slices.Contains(listKeys(t, s, key), key)
					switch {
					case c.want == "" && got:
						t.Errorf("%s (as %s saw it): %s still holds an object", c.name, seen.name, key)
					case c.want != "" && !got:
						t.Errorf("%s (as %s saw it): %s holds nothing, want the object written since", c.name, seen.name, key)
					case c.want != "" && readString(t, s, key, 0) != c.want:
						t.Errorf("%s (as %s saw it): %s holds %q, want %q", c.name, seen.name, key, readString(t, s, key, 0), c.want)
					}
				}
			}
		}},
	}
}
