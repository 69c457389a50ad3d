package icebergtest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/settings"
)

// A backfill's parallel dates under the most aggressive expiry (keep 1
// snapshot, retention 0s) all commit: each run's expiry removes the
// snapshot another run has just loaded, and that run goes on from the
// refreshed table instead of failing on the missing manifest list. The
// table then holds every date's rows, cell for cell the hive layout's.
func TestParallelDatesUnderAggressiveExpiry(t *testing.T) {
	const days = 6
	dir := t.TempDir()
	var g settings.GenerateConfig
	if err := settings.ParseEnv(&g, map[string]string{"LOGSMITH_OUTPUT": dir, "LOGSMITH_OBJECTS": "2", "LOGSMITH_LINES": "800",
		"LOGSMITH_START": date + "T00:00:00Z", "LOGSMITH_DAYS": fmt.Sprint(days)}); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Generate(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	in := dir + "/{yyyy}/{mm}/{dd}/"
	last := mustDate(t, date).AddDate(0, 0, days-1).Format(time.DateOnly)
	backfill := func(out string, env map[string]string) []job.DateResult {
		e := map[string]string{"LOGSMITH_INPUT": in, "LOGSMITH_OUTPUT": out, "LOGSMITH_WINDOW": "5m",
			"LOGSMITH_FROM": date, "LOGSMITH_TO": last, "LOGSMITH_PARALLEL": fmt.Sprint(days), "LOGSMITH_MAX_BAD_RATIO": "1",
			"LOGSMITH_GROUP_BY": "service", "LOGSMITH_STATUS_FIELD": "status", "LOGSMITH_BYTES_FIELD": "bytes",
			"LOGSMITH_DISTINCT_FIELD": "user_id"}
		for k, v := range env {
			e[k] = v
		}
		var b settings.BackfillConfig
		if err := settings.ParseEnv(&b, e); err != nil {
			t.Fatal(err)
		}
		res, err := job.Backfill(context.Background(), b, job.Options{}, nil)
		if err != nil {
			t.Fatalf("backfill %v: %v (%+v)", env, err, res)
		}
		return res
	}
	hiveOut, iceOut := t.TempDir(), t.TempDir()
	backfill(hiveOut, nil)
	ice := map[string]string{"LOGSMITH_TABLE_FORMAT": "iceberg", "LOGSMITH_ICEBERG_KEEP_SNAPSHOTS": "1", "LOGSMITH_ICEBERG_SNAPSHOT_RETENTION": "0s"}
	backfill(iceOut, ice)
	ice["LOGSMITH_FORCE"] = "true" // and every date again, replacing each
	res := backfill(iceOut, ice)
	if len(res) != days {
		t.Fatalf("backfill results %+v, want %d dates", res, days)
	}
	cfg := iceConfig(t, in, iceOut, map[string]string{"LOGSMITH_WINDOW": "5m"})
	tb, err := open(t, &cfg).OpenTable(context.Background(), "features_5m")
	if err != nil {
		t.Fatal(err)
	}
	heads, err := tb.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != job.StatusCommitted || heads[r.Date].RunID != r.RunID {
			t.Errorf("date %s: %+v, head %+v; want committed by its run", r.Date, r, heads[r.Date])
		}
		got := rows(t, snapshotFiles(t, tb, 0, r.Date))
		want := rows(t, []string{filepath.Join(hiveOut, "date="+r.Date, "part-00000.parquet")})
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("date %s: %d Iceberg rows differ from the %d hive rows", r.Date, len(got), len(want))
		}
	}
}

func mustDate(t *testing.T, d string) time.Time {
	t.Helper()
	day, err := time.Parse(time.DateOnly, d)
	if err != nil {
		t.Fatal(err)
	}
	return day
}
