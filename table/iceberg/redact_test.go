package iceberg

import (
	"strings"
	"testing"
)

// Any way a password can be spelled in a catalog setting is masked: URL
// user info (parseable or not, with '@' in the password), a password query
// parameter, a key=value connection string.
func TestRedact(t *testing.T) {
	for _, v := range []string{
		"postgres://u:hunter2@h/db",
		"postgresql://u:hunter2@h:5432/db?sslmode=disable",
		"postgres:/u:hunter2@db/lake",
		"postgres://u:hun@ter2@h/db",
		"postgres://u@127.0.0.1:1/db?sslmode=disable&password=hunter2",
		"host=db user=u password=hunter2 dbname=lake",
		"host=db user=u PASSWORD = hunter2",
		"https://id:hunter2@catalog.example.com/api",
	} {
		if got := Redact(v); strings.Contains(got, "hunter2") || strings.Contains(got, "ter2") || !strings.Contains(got, "xxxxx") {
			t.Errorf("Redact(%q) = %q", v, got)
		}
	}
	for _, v := range []string{"sqlite:///x/y.db", "https://catalog.example.com/api", "glue", "postgres://u@h/db"} {
		if got := Redact(v); got != v {
			t.Errorf("Redact(%q) = %q, want it unchanged", v, got)
		}
	}
}
