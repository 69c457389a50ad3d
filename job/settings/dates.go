package settings

import (
	"time"
)

// targetDate resolves the date a run computes: --date, --from plus the
// completion index, yesterday (UTC) for a template, or "" for every date.
func (c *Config) targetDate(now time.Time) (string, error) {
	switch {
	case c.Date != "":
		return c.Date, nil
	case c.From != "" && c.CompletionIndex >= 0 && c.Shards == 0:
		from, err := time.Parse(time.DateOnly, c.From)
		if err != nil {
			return "", err
		}
		return from.AddDate(0, 0, c.CompletionIndex).Format(time.DateOnly), nil
	case IsTemplate(c.Input):
		return now.UTC().AddDate(0, 0, -1).Format(time.DateOnly), nil
	}
	return "", nil
}

func validRunID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s != "." && s != ".."
}
