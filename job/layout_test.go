package job_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/input"
	"github.com/logsmith/logsmith/job/settings"
)

// arrival is one generated event: its timestamp, and when it reached the
// store (the time its object's folder is named by).
type arrival struct {
	ts, arrived time.Time
	errored     bool
}

func (a arrival) line(i int) string {
	level := "INFO"
	if a.errored {
		level = "ERROR"
	}
	return fmt.Sprintf(`{"timestamp":%q,"level":%q,"latency_ms":%d}`+"\n", a.ts.Format(time.RFC3339Nano), level, i%250)
}

// arrivals returns n events stamped in [from, to), each arriving up to
// maxDelay after it (a Firehose buffer), in time order, and the edge cases
// the layouts are about: a date's last events arriving on the next day,
// and that day's first events.
func arrivals(seed uint64, from, to time.Time, n int, maxDelay time.Duration) []arrival {
	rng := rand.New(rand.NewPCG(seed, 7))
	var out []arrival
	for range n {
		ts := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
		out = append(out, arrival{ts: ts, arrived: ts.Add(time.Duration(rng.Int64N(int64(maxDelay)))), errored: rng.IntN(9) == 0})
	}
	for d := from.Truncate(24 * time.Hour).Add(24 * time.Hour); d.Before(to); d = d.Add(24 * time.Hour) {
		for _, e := range []arrival{
			{ts: d.Add(-time.Second), arrived: d.Add(maxDelay - time.Second)}, // late: in the next day's first folder
			{ts: d.Add(-30 * time.Second), arrived: d.Add(30 * time.Second), errored: true},
			{ts: d.Add(-2 * time.Minute), arrived: d.Add(-time.Minute)},
			{ts: d, arrived: d}, // the next day's first event
			{ts: d.Add(time.Second), arrived: d.Add(time.Minute)}, // and others in the same folder
		} {
			if !e.ts.Before(from) && e.ts.Before(to) {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b arrival) int { return a.ts.Compare(b.ts) })
	return out
}

// file writes the events in the objects of their arrival's folder, named
// by tmpl (relative to the store's input) in zone: two objects a folder.
// It returns the objects written.
func file(t *testing.T, st layoutStore, tmpl string, zone *time.Location, evs []arrival) []string {
	t.Helper()
	objs := map[string]*bytes.Buffer{}
	for i, e := range evs {
		key := settings.ExpandTemplate(tmpl, e.arrived.In(zone)) + fmt.Sprintf("firehose-%d.jsonl", i%2)
		if objs[key] == nil {
			objs[key] = &bytes.Buffer{}
		}
		objs[key].WriteString(e.line(i))
	}
	for k, b := range objs {
		st.put(t, k, b.Bytes())
	}
	return slices.Sorted(maps.Keys(objs))
}

// windowCounts returns the 5-minute windows of the events stamped on day
// (UTC), with their event and error counts.
func windowCounts(evs []arrival, day time.Time) map[string][2]int64 {
	out := map[string][2]int64{}
	for _, e := range evs {
		if e.ts.Before(day) || !e.ts.Before(day.Add(24*time.Hour)) {
			continue
		}
		k := e.ts.Truncate(5 * time.Minute).UTC().Format(time.RFC3339)
		c := out[k]
		c[0]++
		if e.errored {
			c[1]++
		}
		out[k] = c
	}
	return out
}

// committedCounts reads the committed CSV of date under out: the request
// and error counts of each window with events.
func committedCounts(t *testing.T, st layoutStore, name, date string) map[string][2]int64 {
	t.Helper()
	data, ok := committed(t, st.outB(t, name), st.out(name))["date="+date+"/part.csv"]
	if !ok {
		t.Fatalf("no committed csv for %s under %s", date, st.out(name))
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("read committed csv: %v", err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := map[string][2]int64{}
	for _, r := range rows[1:] {
		n, _ := strconv.ParseInt(r[col["request_count"]], 10, 64)
		e, _ := strconv.ParseInt(r[col["error_count"]], 10, 64)
		if n > 0 {
			got[r[col["window_start"]]] = [2]int64{n, e}
		}
	}
	return got
}

func sum(m map[string][2]int64) (n int64) {
	for _, c := range m {
		n += c[0]
	}
	return n
}

// layoutRun runs date over st's input with the template tmpl (below the
// input) into the output name, with edit applied to the config.
func layoutRun(t *testing.T, st layoutStore, tmpl, name, date string, edit func(*settings.Config)) (*job.Summary, error) {
	t.Helper()
	cfg := runConfig(st.in+tmpl, st.out(name), st.s3)
	cfg.Date, cfg.Format = date, []string{"csv"}
	if edit != nil {
		edit(&cfg)
	}
	return job.Run(context.Background(), cfg, job.Options{})
}

// A Firehose-style layout files each object under the UTC hour of its
// arrival: a date's last events sit in the next day's first folder, beside
// that day's first events. A run of the date with no setting but the
// template commits exactly the date's events, every window of them, and
// neither neighbour's; plan lists the same objects. With --input-lateness
// 0 the late events are missed, and the run says so.
func TestFirehoseHourlyLayoutLocal(t *testing.T) { testFirehoseLayout(t, localLayout(t)) }

func TestFirehoseHourlyLayoutOnMinIO(t *testing.T) { testFirehoseLayout(t, minioLayout(t)) }

func testFirehoseLayout(t *testing.T, st layoutStore) {
	const tmpl = "{yyyy}/{mm}/{dd}/{hh}/"
	date := "2025-11-08"
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	// Three days of events, up to 15 minutes late (Firehose's longest
	// buffer), a few up to 59 minutes.
	evs := arrivals(1, day.Add(-12*time.Hour), day.Add(36*time.Hour), 3000, 15*time.Minute)
	for i := range evs {
		if i%97 == 0 {
			evs[i].arrived = evs[i].ts.Add(59 * time.Minute)
		}
	}
	objs := file(t, st, tmpl, time.UTC, evs)
	want := windowCounts(evs, day)
	var lateInNext, nextInNext, prevInDay int
	for _, e := range evs {
		inNextFirst := e.arrived.UTC().Format("2006-01-02T15") == "2025-11-09T00"
		switch {
		case inNextFirst && e.ts.Before(day.Add(24*time.Hour)):
			lateInNext++
		case inNextFirst:
			nextInNext++
		case e.ts.Before(day) && !e.arrived.Before(day):
			prevInDay++
		}
	}
	if lateInNext == 0 || nextInNext == 0 || prevInDay == 0 {
		t.Fatalf("the layout lacks its edge cases: %d late events of the date and %d of the next in 2025/11/09/00/, %d of the day before in the date's folders",
			lateInNext, nextInNext, prevInDay)
	}

	sum1, err := layoutRun(t, st, tmpl, "default", date, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := committedCounts(t, st, "default", date)
	if !maps.Equal(got, want) {
		t.Errorf("committed %d events in %d windows, want %d in %d", sum(got), len(got), sum(want), len(want))
		for k, w := range want {
			if got[k] != w {
				t.Errorf("  window %s: %v, want %v", k, got[k], w)
			}
		}
	}
	// The objects of the 25 folders 2025/11/08/00 to 2025/11/09/00.
	wantObjs := 0
	for _, o := range objs {
		if o >= "2025/11/08/00/" && o < "2025/11/09/01/" {
			wantObjs++
		}
	}
	if sum1.Objects != wantObjs || sum1.Events != sum(want)+sum1.OutOfRange || len(sum1.Warnings) != 0 {
		t.Errorf("objects %d (want %d), events %d, out of range %d, warnings %q", sum1.Objects, wantObjs, sum1.Events, sum1.OutOfRange, sum1.Warnings)
	}
	// The neighbours' events read are theirs: their runs list the folders.
	if len(sum1.Neighbours) != 2 || sum1.Neighbours[0].Date != "2025-11-07" || sum1.Neighbours[1].Date != "2025-11-09" ||
		*sum1.Neighbours[0].NotListed != 0 || *sum1.Neighbours[1].NotListed != 0 ||
		sum1.Neighbours[0].Events+sum1.Neighbours[1].Events != sum1.OutOfRange {
		t.Errorf("neighbours %+v, out of range %d", sum1.Neighbours, sum1.OutOfRange)
	}

	// plan lists what the run lists.
	var pc settings.PlanConfig
	if err := settings.ParseEnv(&pc, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	pc.Config = runConfig(st.in+tmpl, st.out("plan"), st.s3)
	pc.Date = date
	p, err := job.PlanRun(context.Background(), pc, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Objects != sum1.Objects {
		t.Errorf("plan lists %d objects, the run %d", p.Objects, sum1.Objects)
	}

	// Without the lateness the date's late events are lost; the run warns
	// of the day before's, which that day's run (also without lateness)
	// does not list either.
	sum0, err := layoutRun(t, st, tmpl, "lateness0", date, func(c *settings.Config) { c.InputLateness = "0" })
	if err != nil {
		t.Fatal(err)
	}
	if got := committedCounts(t, st, "lateness0", date); sum(got) >= sum(want) {
		t.Errorf("--input-lateness 0 committed %d events, want fewer than %d: the test cannot tell", sum(got), sum(want))
	}
	if len(sum0.Warnings) != 1 || !strings.Contains(sum0.Warnings[0], "of 2025-11-07 are in input objects the run of 2025-11-07 does not list") {
		t.Errorf("--input-lateness 0: warnings %q", sum0.Warnings)
	}

	// Events later than the lateness: a date's run does not read them, the
	// next date's run warns, naming the date and their count, in its
	// summary and manifest. A run of the date with more lateness reads them.
	var veryLate []arrival
	for i := range 7 {
		veryLate = append(veryLate, arrival{ts: day.Add(22*time.Hour + time.Duration(i)*time.Minute), arrived: day.Add(26*time.Hour + 30*time.Minute)})
	}
	data := &bytes.Buffer{}
	for i, e := range veryLate {
		data.WriteString(e.line(i))
	}
	st.put(t, settings.ExpandTemplate(tmpl, veryLate[0].arrived)+"backlog.jsonl", data.Bytes())
	next, err := layoutRun(t, st, tmpl, "next", "2025-11-09", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantWarn := "7 events of 2025-11-08 are in input objects the run of 2025-11-08 does not list"
	if len(next.Warnings) != 1 || !strings.Contains(next.Warnings[0], wantWarn) {
		t.Errorf("next day's warnings %q, want one saying %q", next.Warnings, wantWarn)
	}
	ms, err := listManifests(context.Background(), st.outB(t, "next"), mustLocation(t, st.out("next")))
	if err != nil || len(ms) != 1 || !slices.Equal(ms[0].Warnings, next.Warnings) {
		t.Errorf("next day's manifest warnings: %v, %v", ms, err)
	}
	late, err := layoutRun(t, st, tmpl, "late", date, func(c *settings.Config) { c.InputLateness = "3h" })
	if err != nil {
		t.Fatal(err)
	}
	if got := committedCounts(t, st, "late", date); sum(got) != sum(want)+int64(len(veryLate)) || len(late.Warnings) != 0 {
		t.Errorf("--input-lateness 3h: %d events, warnings %q; want %d, none", sum(got), late.Warnings, sum(want)+int64(len(veryLate)))
	}
}

// A team that files by local date (America/New_York) names its folders by
// the local wall clock: a UTC date spans two local dates, and on the day
// clocks go back one local hour holds two. With --input-zone the run of a
// UTC date commits exactly its events, from daily and from hourly folders.
func TestLocalDateLayoutLocal(t *testing.T) { testLocalDateLayout(t, localLayout(t)) }

func TestLocalDateLayoutOnMinIO(t *testing.T) { testLocalDateLayout(t, minioLayout(t)) }

func testLocalDateLayout(t *testing.T, st layoutStore) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, date := range []string{"2025-11-02", "2025-03-09", "2025-11-08"} { // fall back, spring forward, a plain day
		day, _ := time.Parse(time.DateOnly, date)
		evs := arrivals(uint64(day.Unix()), day.Add(-24*time.Hour), day.Add(48*time.Hour), 2500, 10*time.Minute)
		want := windowCounts(evs, day)
		for _, tmpl := range []string{date + "/daily/{date}/", date + "/hourly/{yyyy}/{m}/{d}/{h}/"} {
			file(t, st, tmpl, ny, evs)
			name := strings.NewReplacer("/", "-", "{", "", "}", "").Replace(tmpl)
			s, err := layoutRun(t, st, tmpl, name, date, func(c *settings.Config) { c.InputZone = "America/New_York" })
			if err != nil {
				t.Fatalf("%s: %v", tmpl, err)
			}
			if got := committedCounts(t, st, name, date); !maps.Equal(got, want) || len(s.Warnings) != 0 {
				t.Errorf("%s: committed %d events in %d windows, warnings %q; want %d in %d, none", tmpl, sum(got), len(got), s.Warnings, sum(want), len(want))
			}
			// Read as if the folders were UTC's, a date's evening is missed.
			_, err = layoutRun(t, st, tmpl, name+"-utc", date, nil)
			if err != nil {
				t.Fatalf("%s in UTC: %v", tmpl, err)
			}
			if got := committedCounts(t, st, name+"-utc", date); sum(got) >= sum(want) {
				t.Errorf("%s read as UTC folders: %d events, want fewer than %d: the test cannot tell", tmpl, sum(got), sum(want))
			}
		}
	}
}

// A daily layout by arrival, read with the daily default (no lateness):
// the date's last events sit in the next day's folder, where the next
// day's run counts them out of range. That run warns, naming the date and
// how many; with --input-lateness the date's run reads them.
func TestDailyArrivalLayoutWarns(t *testing.T) {
	st := localLayout(t)
	const tmpl = "{yyyy}/{mm}/{dd}/"
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	evs := arrivals(3, day, day.Add(48*time.Hour), 2000, 10*time.Minute)
	file(t, st, tmpl, time.UTC, evs)
	var late int64
	for _, e := range evs {
		if e.ts.Before(day.Add(24*time.Hour)) && !e.arrived.Before(day.Add(24*time.Hour)) {
			late++
		}
	}
	if late == 0 {
		t.Fatal("no late events")
	}
	next, err := layoutRun(t, st, tmpl, "next", "2025-11-09", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d events of 2025-11-08 are in input objects the run of 2025-11-08 does not list", late)
	if len(next.Warnings) != 1 || !strings.Contains(next.Warnings[0], want) {
		t.Errorf("warnings %q, want one saying %q", next.Warnings, want)
	}
	if len(next.Neighbours) != 1 || next.Neighbours[0].Date != "2025-11-08" || next.Neighbours[0].Events != late || *next.Neighbours[0].NotListed != late {
		t.Errorf("neighbours %+v, want %d of 2025-11-08, none listed by its run", next.Neighbours, late)
	}
	if _, err := layoutRun(t, st, tmpl, "date", "2025-11-08", func(c *settings.Config) { c.InputLateness = "15m" }); err != nil {
		t.Fatal(err)
	}
	if got, want := sum(committedCounts(t, st, "date", "2025-11-08")), sum(windowCounts(evs, day)); got != want {
		t.Errorf("--input-lateness 15m: %d events, want %d", got, want)
	}
}

// An input without a template is every date's: a run cannot tell whether
// the neighbouring date's run reads it, so it warns when that date's
// events are more than 0.1% of those it read, and only lists them below.
func TestNeighbourShareWithoutTemplate(t *testing.T) {
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		prev, next int
		warn       []string
	}{
		{0, 0, nil},
		{2, 0, nil},                    // 2 of 2002: 0.0999%
		{3, 0, []string{"2025-11-07"}}, // 3 of 2003: 0.1498%
		{0, 40, []string{"2025-11-09"}},
		{5, 40, []string{"2025-11-07", "2025-11-09"}},
	} {
		st := localLayout(t)
		var b bytes.Buffer
		for i := range 2000 {
			b.WriteString(arrival{ts: day.Add(time.Duration(i) * 40 * time.Second)}.line(i))
		}
		for i := range tc.prev {
			b.WriteString(arrival{ts: day.Add(-time.Duration(i+1) * time.Minute)}.line(i))
		}
		for i := range tc.next {
			b.WriteString(arrival{ts: day.Add(24*time.Hour + time.Duration(i)*time.Minute)}.line(i))
		}
		st.put(t, "app.jsonl", b.Bytes())
		s, err := layoutRun(t, st, "", "out", "2025-11-08", nil)
		if err != nil {
			t.Fatal(err)
		}
		var warned []string
		for _, w := range s.Warnings {
			warned = append(warned, strings.Fields(w)[3]) // "N events of DATE ..."
		}
		if !slices.Equal(warned, tc.warn) {
			t.Errorf("%d before, %d after: warnings %q, want about %v", tc.prev, tc.next, s.Warnings, tc.warn)
		}
		var listed []job.NeighbourDate
		if tc.prev > 0 {
			listed = append(listed, job.NeighbourDate{Date: "2025-11-07", Events: int64(tc.prev)})
		}
		if tc.next > 0 {
			listed = append(listed, job.NeighbourDate{Date: "2025-11-09", Events: int64(tc.next)})
		}
		if !slices.Equal(s.Neighbours, listed) {
			t.Errorf("%d before, %d after: neighbours %+v, want %+v", tc.prev, tc.next, s.Neighbours, listed)
		}
	}
}

// A sharded run lists the same folders and skips the same objects in every
// shard; the merge reports the skipped objects and the neighbouring
// dates' events as one run does, and commits the same bytes.
func TestShardedLayoutMatchesOneRun(t *testing.T) {
	st := localLayout(t)
	const tmpl = "{yyyy}/{mm}/{dd}/{hh}/"
	day := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC)
	evs := arrivals(5, day.Add(-6*time.Hour), day.Add(30*time.Hour), 3000, 15*time.Minute)
	file(t, st, tmpl, time.UTC, evs)
	st.put(t, "2025/11/08/00/_SUCCESS", nil)
	st.put(t, "2025/11/08/13/.part-0.crc", []byte("crc"))
	lateness0 := func(c *settings.Config) { c.InputLateness = "0" } // so that it warns
	one, err := layoutRun(t, st, tmpl, "one", "2025-11-08", lateness0)
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Warnings) != 1 || one.Skipped[input.SkipHidden] != 2 {
		t.Fatalf("one run: warnings %q, skipped %v", one.Warnings, one.Skipped)
	}
	for i := range 3 {
		if _, err := layoutRun(t, st, tmpl, "sharded", "2025-11-08", func(c *settings.Config) {
			lateness0(c)
			c.RunID, c.Shard = "r1", fmt.Sprintf("%d/3", i)
		}); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	cfg := runConfig(st.in+tmpl, st.out("sharded"), st.s3)
	cfg.Date, cfg.Format, cfg.RunID = "2025-11-08", []string{"csv"}, "r1"
	lateness0(&cfg)
	merged, err := job.Merge(context.Background(), cfg, job.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(merged.Warnings, one.Warnings) || !maps.Equal(merged.Skipped, one.Skipped) || merged.Objects != one.Objects ||
		neighbours(merged) != neighbours(one) {
		t.Errorf("merge: warnings %q skipped %v objects %d neighbours %s\none run: %q %v %d %s",
			merged.Warnings, merged.Skipped, merged.Objects, neighbours(merged), one.Warnings, one.Skipped, one.Objects, neighbours(one))
	}
	a, b := committed(t, st.outB(t, "one"), st.out("one")), committed(t, st.outB(t, "sharded"), st.out("sharded"))
	if len(a) == 0 || !maps.EqualFunc(a, b, bytes.Equal) {
		t.Error("the merged commit differs from one run's")
	}
}

// neighbours renders a summary's neighbouring dates.
func neighbours(s *job.Summary) string {
	var b strings.Builder
	for _, n := range s.Neighbours {
		fmt.Fprintf(&b, "%s:%d", n.Date, n.Events)
		if n.NotListed != nil {
			fmt.Fprintf(&b, "(%d not listed)", *n.NotListed)
		}
		b.WriteString(" ")
	}
	return b.String()
}
