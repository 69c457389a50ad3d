package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/objio"
	"github.com/logsmith/logsmith/table"
)

// A run that failed having committed nothing removes its sample of bad
// lines, unless the failure left it unknown whether a commit landed
// (table.ErrOutcomeUnknown: the last manifest PUT's answer lost and the
// head unreadable until the deadline): that commit names the sample, and
// deleting it would leave the manifest naming a missing object.
func TestRejectsKeptWhenTheCommitMayHaveLanded(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		kept bool
	}{
		{"lost the race", fmt.Errorf("commit: %w", table.ErrLostRace), false},
		{"store failed, nothing written", fmt.Errorf("claim: %w", errors.New("connection refused")), false},
		{"publish answer lost", fmt.Errorf("publish: %w: %w", table.ErrOutcomeUnknown, errors.New("connection reset")), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			l, err := storage.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			key := "_rejects/date=2025-11-08/run=r/rejects.jsonl"
			if _, err := l.Put(ctx, key, strings.NewReader("x\n"), 2, storage.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			rs := &runState{out: objio.New(l, objio.Policy{}), sum: &Summary{Rejects: key}, ownRejects: true, log: slog.New(slog.DiscardHandler)}
			rs.dropRejectsIfRefused(ctx, c.err)
			_, serr := l.Stat(ctx, key)
			if kept := serr == nil; kept != c.kept {
				t.Errorf("after %v: sample kept %v, want %v", c.err, kept, c.kept)
			}
		})
	}
}
