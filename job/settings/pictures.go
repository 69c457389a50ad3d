package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// checkPictures checks the settings of show's pictures (--chart, --hours).
func (c *OutputConfig) checkPictures() error {
	bad := func(field string, err error) error { return SettingError(c, field, err) }
	switch {
	case c.Chart && c.Hours:
		return bad("Hours", errors.New("give --chart (text charts) or --hours (a table), not both"))
	case c.Chart && c.JSON:
		return bad("JSON", errors.New("--chart draws for a person; for the numbers as JSON give --hours --json"))
	case (c.Chart || c.Hours) && c.Iceberg():
		field := "Chart"
		if c.Hours {
			field = "Hours"
		}
		return bad(field, errors.New("not yet with --table-format iceberg: the pictures read a hive table's Parquet"))
	}
	return nil
}

// ReportDates returns the dates a report covers, from and to inclusive:
// --date, or --from and --to. It names the setting that is missing or
// does not fit.
func (c *OutputConfig) ReportDates() (from, to string, err error) {
	bad := func(field string, err error) error { return SettingError(c, field, err) }
	switch {
	case c.Date != "" && (c.From != "" || c.To != ""):
		field := "From"
		if c.From == "" {
			field = "To"
		}
		return "", "", bad(field, errors.New("give --date, or --from and --to, not both"))
	case c.Date != "":
		return c.Date, c.Date, nil
	case c.From == "":
		return "", "", bad("Date", errors.New("required: the date to report, or --from and --to"))
	case c.To == "":
		return "", "", bad("To", errors.New("required with --from: the last date to report"))
	case c.To < c.From:
		return "", "", bad("To", errors.New(c.To+" is before --from "+c.From))
	}
	return c.From, c.To, nil
}

// checkReport checks --report: a file in a folder that exists, written by
// a run that commits.
func (c *Config) checkReport() error {
	if c.Report == "" {
		return nil
	}
	bad := func(format string, args ...any) error { return SettingError(c, "Report", fmt.Errorf(format, args...)) }
	switch {
	case c.Report == "-":
		return bad("standard output carries the summary: give a file")
	case c.Shard != "":
		return bad("a shard commits nothing: give --report to logsmith merge")
	case c.DryRun:
		return bad("a dry run commits nothing to report")
	case c.Iceberg():
		return bad("not yet with --table-format iceberg: the report reads a hive table's Parquet")
	}
	if st, err := os.Stat(c.Report); err == nil && st.IsDir() {
		return bad("%q is a folder: give a file", c.Report)
	}
	dir := filepath.Dir(c.Report)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return bad("%q: no folder %s to write it in", c.Report, dir)
	}
	return nil
}
