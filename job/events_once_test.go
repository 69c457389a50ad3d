package job_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/table"
)

// The fewer-events guard compares events, each counted once, whatever the
// windows of the commit and of the rerun: a sliding window counts an event
// once per window holding it, and a rerun that switches the table from
// tumbling to sliding windows (or to a window counting more often) from a
// fraction of the input must not pass for "more events" (issue 24 item 2).
func TestFewerEventsCountsEventsOnce(t *testing.T) {
	const day = 86400 // one event a second, the whole date
	full := logLines(day, 0)
	quarter := logLines(day/4, 0)
	cases := []struct {
		from, to   string // the committed window, the rerun's
		input      []byte // the rerun's input (the commit read full)
		wantRefuse bool
	}{
		{"5m", "5m", quarter, true},
		{"5m", "1h/5m", quarter, true}, // every event counted 12 times
		{"5m", "15m/5m", quarter, true},
		{"15m/5m", "1h/5m", quarter, true},
		{"1h/5m", "5m", quarter, true},
		{"1h/5m", "1h/5m", quarter, true},
		{"1h", "1h/1m", quarter, true}, // 60 times
		// The same input under any window is not fewer.
		{"5m", "1h/5m", full, false},
		{"1h/5m", "5m", full, false},
		{"1h/5m", "15m/5m", full, false},
		{"1h", "1h/1m", full, false},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.from+"_to_"+tc.to+"_"+map[bool]string{true: "quarter", false: "full"}[len(tc.input) < len(full)], "/", "every"), func(t *testing.T) {
			in, out := t.TempDir(), t.TempDir()
			write := func(data []byte) {
				if err := os.WriteFile(filepath.Join(in, "a.jsonl"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(full)
			cfg := runConfig(in, out, settings.S3Settings{})
			cfg.Date, cfg.Window = "2025-11-08", []string{tc.from}
			first, err := job.Run(context.Background(), cfg, job.Options{})
			if err != nil {
				t.Fatal(err)
			}
			write(tc.input)
			cfg.Window = []string{tc.to}
			sum, err := job.Run(context.Background(), cfg, job.Options{})
			refused := err != nil && strings.Contains(err.Error(), "fewer than") && failure.ExitCode(err) == 5
			if tc.from != tc.to {
				// Since the output records its tables' shape (issue 24
				// item 3), another window is refused before any count is
				// compared: the committed partition stays, whole.
				if failure.ExitCode(err) != failure.ExitConfig || !errors.Is(err, table.ErrShapeChanged) {
					t.Fatalf("rerun with window %s over %s: %v (exit %d); want the shape refusal (exit 2)", tc.to, tc.from, err, failure.ExitCode(err))
				}
				refused, tc.wantRefuse = true, true
			}
			switch {
			case tc.wantRefuse && !refused:
				t.Fatalf("rerun from %d of %d events: %v (exit %d), partitions %+v; want the fewer-events refusal",
					sumEvents(sum), first.Events, err, failure.ExitCode(err), partitionsOf(sum))
			case !tc.wantRefuse && err != nil:
				t.Fatalf("rerun from the same input: %v; want it committed", err)
			}
			b, _ := storage.NewLocal(out)
			m, _, err := readManifest(context.Background(), b, mustLoc(t, out), cfg.Date)
			if err != nil {
				t.Fatal(err)
			}
			if want := first.Events; m.PartitionEvents != want {
				t.Errorf("partition_events %d (window %s, run %s), want %d: each event once", m.PartitionEvents, m.Window, m.RunID, want)
			}
		})
	}
}

// A partition committed before partition_events counted events once holds
// request_count summed over its windows. Its count is still a bound: a
// rerun of its inputs is not refused, a rerun from a quarter of them is,
// whatever the windows.
func TestFewerEventsAgainstAnOldSlidingCount(t *testing.T) {
	const day = 86400
	for _, to := range []string{"1h/5m", "5m", "1h"} {
		t.Run(strings.ReplaceAll(to, "/", "every"), func(t *testing.T) {
			ctx := context.Background()
			in, out := t.TempDir(), t.TempDir()
			write := func(data []byte) {
				if err := os.WriteFile(filepath.Join(in, "a.jsonl"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(logLines(day, 0))
			cfg := runConfig(in, out, settings.S3Settings{})
			cfg.Date, cfg.Window = "2025-11-08", []string{"1h/5m"}
			if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
				t.Fatal(err)
			}
			// Rewrite the head as an older logsmith wrote it: the sum of
			// request_count over the 288 one-hour windows (each event in
			// 12 of them, but those of the last 55 minutes of the date
			// in fewer, their other windows being on the next date).
			b, _ := storage.NewLocal(out)
			tb := table.NewOutput(b, "").Table("1h-every-5m", false)
			h, err := tb.ReadHead(ctx, cfg.Date)
			if err != nil {
				t.Fatal(err)
			}
			old := *h.Manifest
			old.PartitionEvents = oldSlidingSum(day, 3600, 300)
			old.EventsOnce = false
			body := old.Encode()
			if _, err := b.Put(ctx, tb.ManifestKey(cfg.Date), bytes.NewReader(body), int64(len(body)), storage.PutOptions{IfMatch: h.ETag}); err != nil {
				t.Fatal(err)
			}
			// An older logsmith wrote no output head either: the shape is
			// inferred from the manifest, and another window is refused
			// before any count is compared (issue 24 item 3).
			if err := b.Delete(ctx, table.ShapeName); err != nil {
				t.Fatal(err)
			}
			cfg.Window = []string{to}
			write(logLines(day/4, 0))
			if to != "1h/5m" {
				for range 2 {
					if _, err := job.Run(ctx, cfg, job.Options{}); failure.ExitCode(err) != failure.ExitConfig || !errors.Is(err, table.ErrShapeChanged) {
						t.Fatalf("window %s over the old 1h/5m commit: %v; want the shape refusal (exit 2)", to, err)
					}
					write(logLines(day, 0))
				}
				return
			}
			if _, err := job.Run(ctx, cfg, job.Options{}); err == nil || !strings.Contains(err.Error(), "fewer than") {
				t.Errorf("a quarter of the input over the old count: %v; want the fewer-events refusal", err)
			}
			write(logLines(day, 0))
			if _, err := job.Run(ctx, cfg, job.Options{}); err != nil {
				t.Errorf("the same input over the old count: %v; want it committed", err)
			}
		})
	}
}

// oldSlidingSum is request_count summed over the windows of length size
// every slide starting on a date with one event a second from its start to
// n seconds: what partition_events held before it counted events once.
func oldSlidingSum(n, size, slide int64) int64 {
	var total int64
	for s := int64(0); s < 86400; s += slide {
		total += max(0, min(s+size, n)-s)
	}
	return total
}

func sumEvents(s *job.Summary) int64 {
	if s == nil {
		return 0
	}
	return s.Events
}

func partitionsOf(s *job.Summary) []job.PartitionResult {
	if s == nil {
		return nil
	}
	return s.Partitions
}
