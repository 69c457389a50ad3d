package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/logsmith/logsmith/storage"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// committedSample commits two days of generated logs into tables of 1m,
// 15m-every-5m (sliding) and 2h windows, and returns the output.
func committedSample(t *testing.T) (dir, out string) {
	t.Helper()
	dir = t.TempDir()
	logs, out := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "600", "--days", "2", "--start", "2025-11-08T00:00:00Z"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	for _, d := range []string{"2025-11-08", "2025-11-09"} {
		if _, stderr, code := exe(t, nil, "run", "--input", logs+"/{yyyy}/{mm}/{dd}/", "--output", out, "--date", d, "--window", "1m,15m/5m,2h"); code != 0 {
			t.Fatalf("run %s: %s", d, stderr)
		}
	}
	return dir, out
}

// show --hours --json and --chart on the table they choose: the hours hold
// every event the partition's manifest counts (each once), and the chart
// fits 100 columns with no colour on a pipe.
func TestShowHoursAndChart(t *testing.T) {
	_, out := committedSample(t)
	stdout, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-08", "--hours", "--json")
	var got struct {
		Window string `json:"window"`
		Rows   int    `json:"rows"`
		Hours  []struct {
			Events int64 `json:"events"`
		} `json:"hours"`
		BadLines []struct {
			Lines int64 `json:"lines"`
		} `json:"bad_lines_by_reason"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("show --hours --json: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The longest tumbling windows inside an hour: 1m (2h straddles, 15m-every-5m overlaps).
	if got.Window != "1m" || len(got.Hours) != 24 || got.Rows == 0 {
		t.Errorf("show --hours chose table %s, %d hours, %d rows", got.Window, len(got.Hours), got.Rows)
	}
	manifest, _, _ := exe(t, nil, "show", "--output", out, "--date", "2025-11-08")
	var m struct {
		Window          string `json:"window"`
		PartitionEvents int64  `json:"partition_events"`
		BadLines        int64  `json:"bad_lines"`
	}
	dec := json.NewDecoder(strings.NewReader(manifest))
	var events, bad int64
	for _, h := range got.Hours {
		events += h.Events
	}
	for _, b := range got.BadLines {
		bad += b.Lines
	}
	for dec.Decode(&m) == nil {
		if m.Window == "1m" && (m.PartitionEvents != events || m.BadLines != bad || events == 0) {
			t.Errorf("hours hold %d events and %d bad lines; the manifest %d and %d", events, bad, m.PartitionEvents, m.BadLines)
		}
	}
	stdout, stderr, code = exe(t, nil, "show", "--output", out, "--date", "2025-11-08", "--chart", "--window", "1m")
	if code != 0 || strings.Contains(stdout, "\x1b") || strings.Count(stdout, "\n") < 28 {
		t.Fatalf("show --chart: exit %d, escapes or too short:\n%q\n%s", code, stdout, stderr)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if utf8.RuneCountInString(l) > 100 {
			t.Errorf("a chart line of %d columns: %s", utf8.RuneCountInString(l), l)
		}
	}
	stdout, _, code = exe(t, nil, "show", "--output", out, "--date", "2025-11-08", "--hours")
	if code != 0 || strings.Count(stdout, ":00  ") < 24 && strings.Count(stdout, ":00 ") < 24 {
		t.Errorf("show --hours: exit %d\n%s", code, stdout)
	}
}

// Settings of the pictures that cannot work are refused before anything is
// read, naming the setting (exit 2): a table whose windows do not add up
// per hour, a table that is not there, two views at once, a view for
// another command, a report without dates or one that cannot be written.
func TestPictureSettingsRefused(t *testing.T) {
	dir, out := committedSample(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "--output", out, "--date", "2025-11-08", "--chart", "--window", "15m-every-5m"}, "--window"},
		{[]string{"show", "--output", out, "--date", "2025-11-08", "--hours", "--window", "2h"}, "--window"},
		{[]string{"show", "--output", out, "--date", "2025-11-08", "--chart", "--window", "7m"}, "--window"},
		{[]string{"show", "--output", out, "--date", "2025-11-08", "--chart", "--hours"}, "--hours"},
		{[]string{"show", "--output", out, "--date", "2025-11-08", "--chart", "--json"}, "--json"},
		{[]string{"ls", "--output", out, "--chart"}, "--chart"},
		{[]string{"report", "--output", out}, "--date"},
		{[]string{"report", "--output", out, "--date", "2025-11-08", "--from", "2025-11-08"}, "--from"},
		{[]string{"report", "--output", out, "--from", "2025-11-09", "--to", "2025-11-08"}, "--to"},
		{[]string{"run", "--input", dir + "/logs", "--output", out, "--report", filepath.Join(dir, "nope", "r.html")}, "--report"},
		{[]string{"run", "--input", dir + "/logs", "--output", out, "--report", dir}, "--report"},
		{[]string{"run", "--input", dir + "/logs", "--output", out, "--report", filepath.Join(dir, "r.html"), "--dry-run"}, "--report"},
		{[]string{"run", "--input", dir + "/logs", "--output", out, "--report", filepath.Join(dir, "r.html"), "--shard", "0/2", "--run", "x", "--date", "2025-11-08"}, "--report"},
		{[]string{"backfill", "--input", dir + "/logs/{yyyy}/{mm}/{dd}/", "--output", out, "--from", "2025-11-08", "--to", "2025-11-09", "--report", filepath.Join(dir, "r.html")}, "--report"},
	} {
		_, stderr, code := exe(t, nil, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, want 2 and one line naming %s:\n%s", c.args, code, c.want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r.html")); err == nil {
		t.Error("a refused run wrote its report")
	}
}

// The pictures read the committed object or nothing: bytes that are not
// the ones the manifest lists (replaced, truncated) fail the command,
// never draw a picture of other data.
func TestPicturesRefuseOtherBytes(t *testing.T) {
	_, out := committedSample(t)
	part := filepath.Join(out, "window=1m", "date=2025-11-08", "part-00000.parquet")
	orig, err := os.ReadFile(part)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadFile(filepath.Join(out, "window=1m", "date=2025-11-09", "part-00000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"truncated": orig[:len(orig)-10], "another date's": other, "one byte changed": append(append([]byte{}, orig[:len(orig)/2]...), append([]byte{orig[len(orig)/2] ^ 1}, orig[len(orig)/2+1:]...)...)} {
		if err := os.WriteFile(part, body, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"show", "--output", out, "--date", "2025-11-08", "--chart", "--window", "1m"},
			{"report", "--output", out, "--date", "2025-11-08", "--window", "1m"},
		} {
			stdout, stderr, code := exe(t, nil, args...)
			if code == 0 || !strings.Contains(stderr, "not the committed object") || strings.Contains(stdout, "events") {
				t.Errorf("%s file, %s: exit %d\n%s\n%s", name, args[0], code, stdout, stderr)
			}
		}
	}
}

// logsmith report and run --report write one page holding each committed
// partition of the dates asked; a range without a commit fails (exit 5).
func TestReportCommands(t *testing.T) {
	dir, out := committedSample(t)
	stdout, stderr, code := exe(t, nil, "report", "--output", out, "--from", "2025-11-08", "--to", "2025-11-09")
	if code != 0 || strings.Count(stdout, `<section class="date"`) != 2 || strings.Count(stdout, `<section class="table"`) != 6 {
		t.Fatalf("report: exit %d, %d dates, %d tables\n%s", code, strings.Count(stdout, `<section class="date"`), strings.Count(stdout, `<section class="table"`), stderr)
	}
	if _, stderr, code := exe(t, nil, "report", "--output", out, "--date", "2025-11-10"); code != 5 {
		t.Errorf("report of a date without a commit: exit %d\n%s", code, stderr)
	}
	page := filepath.Join(dir, "pages", "run.html")
	if err := os.Mkdir(filepath.Dir(page), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = exe(t, nil, "run", "--input", dir+"/logs/{yyyy}/{mm}/{dd}/", "--output", out, "--date", "2025-11-09", "--window", "1m,15m/5m,2h", "--report", page, "--json")
	var sum struct {
		RunID string `json:"run_id"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &sum) != nil {
		t.Fatalf("run --report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), sum.RunID) || strings.Count(string(b), `<section class="table"`) != 3 || !strings.Contains(string(b), `data-date="2025-11-09"`) {
		t.Errorf("run --report wrote a page without the run's three tables of 2025-11-09:\n%.400s", b)
	}
	if ents, _ := os.ReadDir(filepath.Dir(page)); len(ents) != 1 {
		t.Errorf("the report's folder holds %d files: a temporary file left behind?", len(ents))
	}
}

// An output of one table keeps it at its root, with no window=W folder to
// name it: show, report and run --report find it by its manifest's window,
// with or without --window.
func TestPicturesOfTheRootTable(t *testing.T) {
	dir := t.TempDir()
	logs, out := filepath.Join(dir, "logs"), filepath.Join(dir, "features")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "1", "--lines", "300"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	page := filepath.Join(dir, "run.html")
	if _, stderr, code := exe(t, nil, "run", "--input", logs, "--output", out, "--date", "2025-11-08", "--report", page); code != 0 {
		t.Fatalf("run --report: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `data-window="5m"`) {
		t.Errorf("run --report: %v\n%.300s", err, b)
	}
	for _, args := range [][]string{
		{"show", "--output", out, "--date", "2025-11-08", "--chart"},
		{"show", "--output", out, "--date", "2025-11-08", "--hours", "--window", "5m"},
		{"report", "--output", out, "--date", "2025-11-08"},
		{"report", "--output", out, "--date", "2025-11-08", "--window", "5m"},
	} {
		stdout, stderr, code := exe(t, nil, args...)
		if code != 0 || !strings.Contains(stdout, "5m") {
			t.Errorf("%v: exit %d\n%.300s\n%s", args, code, stdout, stderr)
		}
	}
	if _, stderr, code := exe(t, nil, "report", "--output", out, "--date", "2025-11-08", "--window", "1h"); code != 5 {
		t.Errorf("report of a table the output does not have: exit %d: %s", code, stderr)
	}
}

// The pictures of an output in a real MinIO: run --report, show --hours
// and report read the committed objects through S3, and a changed object
// is refused there too.
func TestPicturesOnMinIO(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	env := s3Env(c)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if _, stderr, code := exe(t, nil, "generate", "--output", logs, "--objects", "2", "--lines", "400"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	out := "s3://" + b.Bucket() + "/features"
	page := filepath.Join(dir, "run.html")
	stdout, stderr, code := exe(t, env, "run", "--input", logs, "--output", out, "--date", "2025-11-08", "--window", "5m,1h", "--report", page, "--json")
	var sum struct {
		RunID  string `json:"run_id"`
		Events int64  `json:"events"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &sum) != nil {
		t.Fatalf("run --report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if p, err := os.ReadFile(page); err != nil || strings.Count(string(p), `<section class="table"`) != 2 || !strings.Contains(string(p), sum.RunID) {
		t.Errorf("run --report on MinIO: %v\n%.300s", err, p)
	}
	stdout, stderr, code = exe(t, env, "show", "--output", out, "--date", "2025-11-08", "--hours", "--json")
	var got struct {
		Window string `json:"window"`
		Hours  []struct {
			Events int64 `json:"events"`
		} `json:"hours"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &got) != nil {
		t.Fatalf("show --hours: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var events int64
	for _, h := range got.Hours {
		events += h.Events
	}
	if got.Window != "1h" || events == 0 || events > sum.Events {
		t.Errorf("show --hours on MinIO: table %s, %d events; the run read %d", got.Window, events, sum.Events)
	}
	if stdout, _, code := exe(t, env, "report", "--output", out, "--date", "2025-11-08"); code != 0 || strings.Count(stdout, `<section class="table"`) != 2 {
		t.Errorf("report on MinIO: exit %d", code)
	}
	key := "features/window=1h/date=2025-11-08/part-00000.parquet"
	if _, err := b.Put(context.Background(), key, strings.NewReader("not parquet"), 11, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exe(t, env, "show", "--output", out, "--date", "2025-11-08", "--chart", "--window", "1h"); code == 0 || !strings.Contains(stderr, "not the committed object") {
		t.Errorf("show --chart of a replaced object on MinIO: exit %d: %s", code, stderr)
	}
}

// show --chart and --hours choose among the tables holding a commit of the
// date: a table without one is never chosen for its windows (exit 5 when
// named, exit 2 when no other table can be drawn per hour).
func TestShowChoosesATableWithTheDate(t *testing.T) {
	_, out := committedSample(t)
	if err := os.RemoveAll(filepath.Join(out, "window=1m", "date=2025-11-09")); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-09", "--hours", "--window", "1m"); code != 5 {
		t.Errorf("--window of a table without the date: exit %d: %s", code, stderr)
	}
	if _, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-09", "--chart"); code != 2 || !strings.Contains(stderr, "--window") || !strings.Contains(stderr, "15m-every-5m") {
		t.Errorf("no table of the date drawable per hour: exit %d: %s", code, stderr)
	}
	if stdout, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-08", "--hours", "--json"); code != 0 || !strings.Contains(stdout, `"window":"1m"`) {
		t.Errorf("the other date still draws 1m: exit %d: %s%s", code, stdout, stderr)
	}
	if _, stderr, code := exe(t, nil, "show", "--output", out, "--date", "2025-11-10", "--chart"); code != 5 {
		t.Errorf("a date without any commit: exit %d: %s", code, stderr)
	}
}
