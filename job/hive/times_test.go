package hive

import "testing"

// The names a run reads back from committed manifests are the names it
// writes: how many windows hold an event follows from the window's name.
func TestTimesCounted(t *testing.T) {
	for name, want := range map[string]int64{
		"5m": 1, "15m-every-5m": 3, "1h-every-25m": 3, "1m30s-every-1m": 2, "1h0m30s-every-1m30s": 41,
		"odd": 1, "5m-every-": 1, "900s-every-300s": 1,
	} {
		if got := timesCounted(name); got != want {
			t.Errorf("timesCounted(%q) = %d, want %d", name, got, want)
		}
	}
}
