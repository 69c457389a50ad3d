package features

import (
	"testing"
	"time"
)

func TestCardinality(t *testing.T) {
	p := NewPartial(5*time.Minute, 100)
	t0 := time.Date(2025, 11, 8, 0, 0, 0, 0, time.UTC).UnixNano()
	add := func(min int, g string) {
		p.Add(&Event{Time: t0 + int64(min)*int64(time.Minute), Group: []byte(g)})
	}
	add(0, "a")
	add(1, "a")
	add(2, "b")
	add(6, "a") // a second pane
	add(7, "c")
	got := p.Cardinality()
	want := Cardinality{Cells: 4, Events: 5, Groups: 3, Once: 2, KeyBytes: 3}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
