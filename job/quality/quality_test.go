package quality

import (
	"reflect"
	"testing"

	"github.com/logsmith/logsmith/table"
)

// TooBroken names each share over the ratio, and only those: a share equal
// to the ratio passes, attributed fractions print with two decimals.
func TestTooBroken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     table.Quality
		ratio float64
		want  []string
	}{
		{"clean", table.Quality{Lines: 100, Objects: 2, Bytes: 1000}, 0, nil},
		{"at the ratio", table.Quality{Lines: 100, BadLines: 5, Objects: 1, Bytes: 10}, 0.05, nil},
		{"bad lines", table.Quality{Lines: 100, BadLines: 6, Objects: 1, Bytes: 10}, 0.05,
			[]string{"6 of 100 lines are bad (0.0600 > --max-bad-ratio 0.05)"}},
		{"fractions", table.Quality{Lines: 10.5, Objects: 2.5, DamagedObjects: 1.25, Bytes: 400, DamagedBytes: 300}, 0.1,
			[]string{"1.25 of 2.50 input objects are damaged (0.5000 > --max-bad-ratio 0.1)",
				"300 of 400 input bytes are in damaged objects (0.7500 > --max-bad-ratio 0.1)"}},
		{"nothing read", table.Quality{}, 0, nil},
	} {
		if got := TooBroken(tc.q, tc.ratio); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Add sums per date and makes the map it adds to.
func TestAdd(t *testing.T) {
	var dst map[string]table.Quality
	Add(&dst, map[string]table.Quality{"2025-11-08": {Lines: 1}, RunWide: {Objects: 0.5}})
	Add(&dst, map[string]table.Quality{"2025-11-08": {Lines: 2, BadLines: 1}, RunWide: {Objects: 0.5}})
	want := map[string]table.Quality{"2025-11-08": {Lines: 3, BadLines: 1}, RunWide: {Objects: 1}}
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("%v, want %v", dst, want)
	}
}
