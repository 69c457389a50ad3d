package settings

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every placeholder, padded and unpadded, alone, together and in hive-style
// segments, expands to its field of the folder's wall clock; text that
// only looks like a placeholder stays as it is.
func TestExpandTemplate(t *testing.T) {
	early := time.Date(2025, 3, 5, 7, 9, 0, 0, time.UTC)    // one-digit month, day and hour
	late := time.Date(2025, 11, 18, 23, 59, 0, 0, time.UTC) // two-digit ones
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		tmpl        string
		early, late string
	}{
		{"{yyyy}", "2025", "2025"},
		{"{mm}", "03", "11"},
		{"{m}", "3", "11"},
		{"{dd}", "05", "18"},
		{"{d}", "5", "18"},
		{"{hh}", "07", "23"},
		{"{h}", "7", "23"},
		{"{date}", "2025-03-05", "2025-11-18"},
		{"s3://logs/app/{yyyy}/{mm}/{dd}/{hh}/", "s3://logs/app/2025/03/05/07/", "s3://logs/app/2025/11/18/23/"},
		{"s3://logs/year={yyyy}/month={m}/day={d}/hour={h}/", "s3://logs/year=2025/month=3/day=5/hour=7/", "s3://logs/year=2025/month=11/day=18/hour=23/"},
		{"s3://logs/year={yyyy}/month={mm}/day={dd}/hour={hh}/", "s3://logs/year=2025/month=03/day=05/hour=07/", "s3://logs/year=2025/month=11/day=18/hour=23/"},
		{"/var/log/{date}/{hh}-", "/var/log/2025-03-05/07-", "/var/log/2025-11-18/23-"},
		{"{yyyy}{mm}{dd}{hh}", "2025030507", "2025111823"},
		{"{m}-{d}_{h}.", "3-5_7.", "11-18_23."},
		// Not placeholders: left as written.
		{"{y}/{mmm}/{ddd}/{hhh}/{yyyy", "{y}/{mmm}/{ddd}/{hhh}/{yyyy", "{y}/{mmm}/{ddd}/{hhh}/{yyyy"},
		{"{{yyyy}}", "{2025}", "{2025}"},
		{"%{mm}#{x}", "%03#{x}", "%11#{x}"},
	} {
		if got := ExpandTemplate(tc.tmpl, early); got != tc.early {
			t.Errorf("%q at %v = %q, want %q", tc.tmpl, early, got, tc.early)
		}
		if got := ExpandTemplate(tc.tmpl, late); got != tc.late {
			t.Errorf("%q at %v = %q, want %q", tc.tmpl, late, got, tc.late)
		}
		if want := tc.tmpl != tc.early; IsTemplate(tc.tmpl) != want {
			t.Errorf("IsTemplate(%q) = %v, want %v", tc.tmpl, !want, want)
		}
	}
	// The wall clock of the time's own location: 02:30 UTC is 21:30 the
	// day before in New York.
	if got := ExpandTemplate("{date}/{hh}", time.Date(2025, 11, 9, 2, 30, 0, 0, time.UTC).In(ny)); got != "2025-11-08/21" {
		t.Errorf("New York folder = %q, want 2025-11-08/21", got)
	}
	for tmpl, fixed := range map[string]string{
		"s3://b/x/{yyyy}/{mm}/": "s3://b/x/", "{date}/": "", "s3://b/x{h}/{date}": "s3://b/x", "s3://b/{y}/": "s3://b/{y}/",
	} {
		if got := templateFixed(tmpl); got != fixed {
			t.Errorf("templateFixed(%q) = %q, want %q", tmpl, got, fixed)
		}
	}
}

// A template must name one folder per day or hour: an hour needs a day,
// and an unpadded number cannot be followed by a digit or another
// placeholder.
func TestCheckTemplate(t *testing.T) {
	for tmpl, want := range map[string]string{
		"s3://b/{yyyy}/{mm}/{dd}/{hh}/":              "",
		"s3://b/year={yyyy}/month={m}/day={d}/h={h}": "",
		"s3://b/{date}/{h}":                          "",
		"s3://b/{yyyy}-{m}-{d}":                      "",
		"s3://b/{yyyy}{mm}{dd}{hh}/":                 "",
		"s3://b/{m}":                                 "",
		"s3://b/{yyyy}/{mm}/{hh}/":                   "needs a day",
		"s3://b/{h}/{date}/":                         "",
		"s3://b/{d}{h}/":                             "unpadded",
		"s3://b/{m}{dd}/":                            "unpadded",
		"s3://b/{d}0/":                               "unpadded",
		"s3://b/{yyyy}/{m}9{d}/":                     "unpadded",
	} {
		err := checkTemplate(tmpl)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", tmpl, err, want)
		}
	}
}

// The folders a dated run lists: every hour (or day) of the folder zone's
// wall clock some instant of which lies between the date's start (UTC)
// and lateness after its end, each once: a repeated hour is one folder, a
// skipped one none.
func TestExpandDate(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	utc, ny, kolkata, lordHowe := time.UTC, zone("America/New_York"), zone("Asia/Kolkata"), zone("Australia/Lord_Howe")
	hours := func(date string, from, to int) []string { // date/HH for HH in [from, to]
		var out []string
		for h := from; h <= to; h++ {
			out = append(out, fmt.Sprintf("%s/%02d", date, h))
		}
		return out
	}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	const hourly, daily = "{date}/{hh}", "{date}"
	for _, tc := range []struct {
		name     string
		tmpl     string
		date     string
		widen    int
		lateness time.Duration
		zone     *time.Location
		want     []string
	}{
		{"UTC hourly, lateness 0", hourly, "2025-11-08", 0, 0, utc, hours("2025-11-08", 0, 23)},
		{"UTC hourly, lateness 15m", hourly, "2025-11-08", 0, 15 * time.Minute, utc, cat(hours("2025-11-08", 0, 23), hours("2025-11-09", 0, 0))},
		{"UTC hourly, lateness 1h", hourly, "2025-11-08", 0, time.Hour, utc, cat(hours("2025-11-08", 0, 23), hours("2025-11-09", 0, 0))},
		{"UTC hourly, lateness 1h1s", hourly, "2025-11-08", 0, time.Hour + time.Second, utc, cat(hours("2025-11-08", 0, 23), hours("2025-11-09", 0, 1))},
		{"UTC hourly, lateness 25h", hourly, "2025-11-08", 0, 25 * time.Hour, utc, cat(hours("2025-11-08", 0, 23), hours("2025-11-09", 0, 23), hours("2025-11-10", 0, 0))},
		{"UTC hourly, widened a day, lateness 1h", hourly, "2025-11-08", 1, time.Hour, utc,
			cat(hours("2025-11-07", 0, 23), hours("2025-11-08", 0, 23), hours("2025-11-09", 0, 23), hours("2025-11-10", 0, 0))},
		{"UTC daily, lateness 0", daily, "2025-11-08", 0, 0, utc, []string{"2025-11-08"}},
		{"UTC daily, lateness 15m", daily, "2025-11-08", 0, 15 * time.Minute, utc, []string{"2025-11-08", "2025-11-09"}},
		{"UTC daily, lateness 1h", daily, "2025-11-08", 0, time.Hour, utc, []string{"2025-11-08", "2025-11-09"}},
		{"UTC daily, lateness 25h", daily, "2025-11-08", 0, 25 * time.Hour, utc, []string{"2025-11-08", "2025-11-09", "2025-11-10"}},
		{"UTC daily, widened 2 days", daily, "2025-11-08", 2, 0, utc, []string{"2025-11-06", "2025-11-07", "2025-11-08", "2025-11-09", "2025-11-10"}},
		// The UTC date starts at 19:00 (EST) or 20:00 (EDT) the day before.
		{"New York daily, lateness 0", daily, "2025-11-08", 0, 0, ny, []string{"2025-11-07", "2025-11-08"}},
		{"New York daily, lateness 5h", daily, "2025-11-08", 0, 5 * time.Hour, ny, []string{"2025-11-07", "2025-11-08"}},
		{"New York daily, lateness 5h1m", daily, "2025-11-08", 0, 5*time.Hour + time.Minute, ny, []string{"2025-11-07", "2025-11-08", "2025-11-09"}},
		// Fall back, 2 Nov 2025 06:00 UTC: 01:00-02:00 happens twice (EDT,
		// then EST); it is one folder. 24 UTC hours, 23 folders.
		{"New York hourly, fall back, lateness 0", hourly, "2025-11-02", 0, 0, ny, cat(hours("2025-11-01", 20, 23), hours("2025-11-02", 0, 18))},
		{"New York hourly, fall back, lateness 1h", hourly, "2025-11-02", 0, time.Hour, ny, cat(hours("2025-11-01", 20, 23), hours("2025-11-02", 0, 19))},
		// Spring forward, 9 Mar 2025 07:00 UTC: 02:00-03:00 never happens;
		// there is no folder 02.
		{"New York hourly, spring forward, lateness 0", hourly, "2025-03-09", 0, 0, ny, cat(hours("2025-03-08", 19, 23), hours("2025-03-09", 0, 1), hours("2025-03-09", 3, 19))},
		{"New York hourly, spring forward, lateness 15m", hourly, "2025-03-09", 0, 15 * time.Minute, ny, cat(hours("2025-03-08", 19, 23), hours("2025-03-09", 0, 1), hours("2025-03-09", 3, 20))},
		{"New York daily, fall back, lateness 1h", daily, "2025-11-02", 0, time.Hour, ny, []string{"2025-11-01", "2025-11-02"}},
		// +05:30: the UTC date is 05:30 to 05:30, 25 wall-clock hours.
		{"Kolkata hourly, lateness 0", hourly, "2025-11-08", 0, 0, kolkata, cat(hours("2025-11-08", 5, 23), hours("2025-11-09", 0, 5))},
		{"Kolkata hourly, lateness 1h", hourly, "2025-11-08", 0, time.Hour, kolkata, cat(hours("2025-11-08", 5, 23), hours("2025-11-09", 0, 6))},
		{"Kolkata hourly, lateness 25h", hourly, "2025-11-08", 0, 25 * time.Hour, kolkata, cat(hours("2025-11-08", 5, 23), hours("2025-11-09", 0, 23), hours("2025-11-10", 0, 6))},
		{"Kolkata daily, lateness 0", daily, "2025-11-08", 0, 0, kolkata, []string{"2025-11-08", "2025-11-09"}},
		// Lord Howe springs forward half an hour at 02:00 (15:30 UTC on 4
		// Oct): hour 02 lasts 30 minutes and is a folder.
		{"Lord Howe hourly, half-hour spring forward", hourly, "2025-10-04", 0, 0, lordHowe, cat(hours("2025-10-04", 10, 23), hours("2025-10-05", 0, 10))},
		// Unpadded, hive-style.
		{"hive unpadded", "s3://b/year={yyyy}/month={m}/day={d}/hour={h}/", "2025-03-05", 0, time.Hour, utc, func() []string {
			var out []string
			for h := range 24 {
				out = append(out, fmt.Sprintf("s3://b/year=2025/month=3/day=5/hour=%d/", h))
			}
			return append(out, "s3://b/year=2025/month=3/day=6/hour=0/")
		}()},
	} {
		day, _ := time.Parse(time.DateOnly, tc.date)
		got := ExpandDate(tc.tmpl, day, tc.widen, tc.lateness, tc.zone)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %d folders %q\nwant %d %q", tc.name, len(got), got, len(tc.want), tc.want)
		}
		if bf := bruteFolders(tc.tmpl, day, tc.widen, tc.lateness, tc.zone); !slices.Equal(got, bf) {
			t.Errorf("%s: %q, brute force %q", tc.name, got, bf)
		}
	}
}

// bruteFolders is expandDate by brute force: the folder of every minute
// of the range (every offset these zones have had since 1970 is whole
// minutes), each once.
func bruteFolders(tmpl string, day time.Time, widen int, lateness time.Duration, zone *time.Location) []string {
	from, to := templateRange(day, widen, lateness)
	var out []string
	seen := map[string]bool{}
	for t := from; t.Before(to); t = t.Add(time.Minute) {
		u := ExpandTemplate(tmpl, t.In(zone))
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// expandDate agrees with the brute force around every change of offset
// of zones with odd ones (half and quarter hours, changes at midnight,
// 30-minute changes), for each lateness, hourly and daily.
func TestExpandDateMatchesBruteForce(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe",
		"Pacific/Chatham", "America/Santiago", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"}
	latenesses := []time.Duration{0, 15 * time.Minute, time.Hour, 90 * time.Minute, 25 * time.Hour}
	for _, name := range zones {
		zone, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		// The dates around each change of offset in 2025, and one plain day.
		days := []time.Time{time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)}
		for at := time.Date(2025, 1, 1, 0, 0, 0, 0, zone); at.Year() == 2025; {
			_, end := at.ZoneBounds()
			if end.IsZero() || end.Year() > 2025 {
				break
			}
			d := time.Date(end.UTC().Year(), end.UTC().Month(), end.UTC().Day(), 0, 0, 0, 0, time.UTC)
			days = append(days, d.AddDate(0, 0, -1), d, d.AddDate(0, 0, 1))
			at = end
		}
		for _, day := range days {
			for _, l := range latenesses {
				for _, tmpl := range []string{"{yyyy}/{mm}/{dd}/{hh}/", "{date}/", "{yyyy}/{m}/{d}/{h}/"} {
					got := ExpandDate(tmpl, day, 0, l, zone)
					if want := bruteFolders(tmpl, day, 0, l, zone); !slices.Equal(got, want) {
						t.Errorf("%s %s lateness %v %s: %q, brute force %q", name, day.Format(time.DateOnly), l, tmpl, got, want)
					}
				}
			}
		}
	}
}
