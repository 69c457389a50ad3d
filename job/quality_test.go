package job_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/failure"
	"github.com/logsmith/logsmith/job/settings"
	"github.com/logsmith/logsmith/storage/storagetest"
)

// dayLines makes n good event lines of 2025-11-<day>, and bad ones after
// them (not JSON). With noLatency the good lines have no latency field.
func dayLines(day, n, bad int, noLatency bool) []byte {
	var b bytes.Buffer
	for i := range n {
		lat := fmt.Sprintf(`,"latency_ms":%d`, 1+i%50)
		if noLatency {
			lat = ""
		}
		fmt.Fprintf(&b, `{"timestamp":"2025-11-%02dT%02d:%02d:00Z","level":"INFO"%s}`+"\n", day, 1+i%20, i%60, lat)
	}
	for i := range bad {
		fmt.Fprintf(&b, "garbage %d\n", i)
	}
	return b.Bytes()
}

// noisyLines are n event lines of 2025-11-08 that gzip does not shrink
// much: a big object among small ones.
func noisyLines(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"2025-11-08T%02d:%02d:00Z","level":"INFO","latency_ms":%d,"noise":"%016x%016x"}`+"\n",
			i%24, i%60, 1+i%50, r.Uint64(), r.Uint64())
	}
	return b.Bytes()
}

// The quality of the input (--max-bad-ratio over bad lines, damaged objects
// and their bytes; --strict-fields) is judged per date, on the input
// attributed to it: by the dates of each object's good events, else
// run-wide. A broken date cannot hide among good ones, a neighbour's bad
// lines do not fail a clean date, and the dates that pass commit while
// those that fail are named (exit 3). Each case failed before dates were
// judged apart.
func TestQualityPerDate(t *testing.T) {
	b, c := storagetest.NewBucket(t)
	s := s3Settings(c)
	days := func(from, to int) []string {
		var out []string
		for d := from; d <= to; d++ {
			out = append(out, fmt.Sprintf("2025-11-%02d", d))
		}
		return out
	}
	big := gz(noisyLines(20000))
	tests := []struct {
		name      string
		objects   map[string][]byte
		date      string
		template  string // the input, after the case's prefix; "" for in/
		strict    bool
		shards    int
		wantErr   bool
		committed []string // dates with a committed partition
		failed    []string // dates the error names
	}{
		{
			name: "a broken date among good ones",
			objects: func() map[string][]byte {
				m := map[string][]byte{}
				for d := 1; d <= 30; d++ {
					m[fmt.Sprintf("d%02d.jsonl", d)] = dayLines(d, 100, 0, false)
				}
				m["d15-broken.jsonl"] = dayLines(15, 10, 20, false) // 20 of 3,030 lines: 0.66 %
				return m
			}(),
			wantErr: true, committed: slices.Delete(days(1, 30), 14, 15), failed: []string{"2025-11-15"},
		},
		{
			name: "lines of no date count against every date",
			objects: func() map[string][]byte {
				m := map[string][]byte{}
				for d := 1; d <= 30; d++ {
					m[fmt.Sprintf("d%02d.jsonl", d)] = dayLines(d, 100, 0, false)
				}
				m["all-bad.jsonl"] = dayLines(15, 0, 20, false) // a date whose every line is bad
				return m
			}(),
			wantErr: true, committed: nil, failed: days(1, 30),
		},
		{
			name: "a neighbour's bad lines",
			objects: map[string][]byte{
				"a.jsonl": dayLines(8, 100, 0, false),
				"b.jsonl": dayLines(9, 100, 20, false), // the next date's object: 20 of its 120 lines bad
			},
			date: "2025-11-08", committed: []string{"2025-11-08"},
		},
		{
			name: "a neighbour's bad lines, sharded",
			objects: map[string][]byte{
				"a.jsonl": dayLines(8, 100, 0, false),
				"b.jsonl": dayLines(9, 100, 20, false),
			},
			date: "2025-11-08", shards: 2, committed: []string{"2025-11-08"},
		},
		{
			// An hourly template with an hour of lateness: the run of
			// 2025-11-08 reads the next day's 00 folder too. An object
			// there whose every line is bad is that date's, not this one's.
			name: "a neighbour folder's object of no event",
			objects: map[string][]byte{
				"2025-11-08/10/a.jsonl": dayLines(8, 100, 0, false),
				"2025-11-09/00/b.jsonl": dayLines(9, 0, 20, false),
			},
			template: "{date}/{hh}/", date: "2025-11-08", committed: []string{"2025-11-08"},
		},
		{
			name: "a folder of the date with an object of no event",
			objects: map[string][]byte{
				"2025-11-08/10/a.jsonl": dayLines(8, 100, 0, false),
				"2025-11-08/11/b.jsonl": dayLines(8, 0, 20, false),
			},
			template: "{date}/{hh}/", date: "2025-11-08", wantErr: true, failed: []string{"2025-11-08"},
		},
		{
			name: "damaged bytes, not only objects",
			objects: func() map[string][]byte {
				m := map[string][]byte{}
				for i := range 150 {
					m[fmt.Sprintf("small-%03d.jsonl", i)] = dayLines(8, 10, 0, false)
				}
				m["big.jsonl.gz"] = big[:len(big)/2] // 1 of 151 objects (0.66 %), most of the bytes
				return m
			}(),
			date: "2025-11-08", wantErr: true, failed: []string{"2025-11-08"},
		},
		{
			name: "a field missing on one date",
			objects: map[string][]byte{
				"d01.jsonl": dayLines(1, 10, 0, false),
				"d02.jsonl": dayLines(2, 10, 0, true),
				"d03.jsonl": dayLines(3, 10, 0, false),
			},
			strict: true, wantErr: true, committed: []string{"2025-11-01", "2025-11-03"}, failed: []string{"2025-11-02"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := fmt.Sprintf("q%d", i)
			for k, v := range tt.objects {
				put(t, b, prefix+"/in/"+k, v)
			}
			cfg := runConfig("s3://"+b.Bucket()+"/"+prefix+"/in/"+tt.template, "s3://"+b.Bucket()+"/"+prefix+"/out", s)
			cfg.Date, cfg.StrictFields, cfg.Format = tt.date, tt.strict, []string{"csv"}
			var err error
			if tt.shards > 0 {
				cfg.RunID = "quality"
				for k := range tt.shards {
					sc := cfg
					sc.Shard = fmt.Sprintf("%d/%d", k, tt.shards)
					if _, err := job.Run(ctx, sc, job.Options{}); err != nil {
						t.Fatalf("shard %d: %v", k, err)
					}
				}
				_, err = job.Merge(ctx, cfg, job.Options{})
			} else {
				_, err = job.Run(ctx, cfg, job.Options{})
			}
			switch {
			case tt.wantErr && failure.ExitCode(err) != failure.ExitBadData:
				t.Fatalf("run: %v (exit %d), want exit %d", err, failure.ExitCode(err), failure.ExitBadData)
			case !tt.wantErr && err != nil:
				t.Fatalf("run: %v", err)
			}
			for _, d := range tt.failed {
				if !strings.Contains(err.Error(), "date "+d+":") {
					t.Errorf("the error does not name date %s: %v", d, err)
				}
			}
			loc, _ := settings.ParseLocation(cfg.Output)
			ms, lerr := listManifests(ctx, b, loc)
			if lerr != nil {
				t.Fatal(lerr)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Date)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.committed) {
				t.Errorf("committed dates %v, want %v", got, tt.committed)
			}
		})
	}
}

// A run that commits some dates and not others says so in its summary
// (failed_dates as a backfill's, quality_by_date) and in each committed
// partition's manifest (quality: what it was judged on).
func TestQualitySummaryAndManifest(t *testing.T) {
	ctx := context.Background()
	b, c := storagetest.NewBucket(t)
	for d := 1; d <= 3; d++ {
		put(t, b, fmt.Sprintf("in/d%02d.jsonl", d), dayLines(d, 100, 0, false))
	}
	put(t, b, "in/d02-more.jsonl", dayLines(2, 50, 50, false))
	cut := gz(dayLines(3, 1000, 0, false))
	put(t, b, "in/d03-cut.jsonl.gz", cut[:len(cut)/2])
	cfg := runConfig("s3://"+b.Bucket()+"/in/", "s3://"+b.Bucket()+"/out", s3Settings(c))
	cfg.Format = []string{"csv"}
	sum, err := job.Run(ctx, cfg, job.Options{})
	if failure.ExitCode(err) != failure.ExitBadData || !strings.Contains(err.Error(), "committed the 1 other date") {
		t.Fatalf("run: %v, want exit 3 saying one date committed", err)
	}
	if len(sum.FailedDates) != 2 || sum.FailedDates[0].Date != "2025-11-02" || sum.FailedDates[1].Date != "2025-11-03" ||
		sum.FailedDates[0].Status != "failed" || !strings.Contains(sum.FailedDates[0].Error, "50 of 200 lines are bad") ||
		!strings.Contains(sum.FailedDates[1].Error, "1 of 2 input objects are damaged") {
		t.Errorf("failed dates %+v", sum.FailedDates)
	}
	for _, p := range sum.Partitions {
		if p.Date != "2025-11-01" || p.Status != job.StatusCommitted {
			t.Errorf("partition %+v: only 2025-11-01 commits", p)
		}
	}
	if q := sum.Quality["2025-11-02"]; q.Lines != 200 || q.BadLines != 50 || q.Objects != 2 {
		t.Errorf("quality of 2025-11-02: %+v", q)
	}
	loc, _ := settings.ParseLocation(cfg.Output)
	ms, err := listManifests(ctx, b, loc)
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d manifests (%v), want 2025-11-01's", len(ms), err)
	}
	if q := ms[0].Quality; q == nil || q.Lines != 100 || q.BadLines != 0 || q.Objects != 1 || q.DamagedObjects != 0 {
		t.Errorf("manifest quality %+v, want 100 lines of 1 object", q)
	}
	if sum.Rows != ms[0].Rows {
		t.Errorf("summary rows %d, the one committed partition has %d", sum.Rows, ms[0].Rows)
	}
}
