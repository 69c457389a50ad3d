package features

import (
	"strings"
	"testing"
)

// A dimension value longer than Spec.MaxDimension (its decoded text, an
// escape counting as the bytes it stands for) is bad_dimension: the memory
// a run holds grows with its groups' keys, and the estimate counts each at
// the limit.
func TestMaxDimension(t *testing.T) {
	spec := Spec{Fields: Fields{Timestamp: "timestamp"}, GroupBy: []string{"svc", "path"}, MaxDimension: 8}
	d := NewDecoder(spec)
	for _, tt := range []struct {
		svc, path string
		want      Reason
	}{
		{`"abcdefgh"`, `"x"`, ReasonNone},
		{`"abcdefghi"`, `"x"`, ReasonBadDimension},
		{`"x"`, `"abcdefghi"`, ReasonBadDimension},
		{`"\u00e9\u00e9\u00e9\u00e9"`, `"x"`, ReasonNone},          // 8 bytes of text
		{`"\u00e9\u00e9\u00e9\u00e9a"`, `"x"`, ReasonBadDimension}, // 9
		{`123456789`, `"x"`, ReasonBadDimension},
		{`12345678`, `"x"`, ReasonNone},
	} {
		line := `{"timestamp":"2025-11-08T10:00:00Z","svc":` + tt.svc + `,"path":` + tt.path + `}`
		if _, got := d.Decode([]byte(line)); got != tt.want {
			t.Errorf("%s: %v, want %v", line, got, tt.want)
		}
	}
	spec.MaxDimension = 0 // no limit
	if _, got := NewDecoder(spec).Decode([]byte(`{"timestamp":"2025-11-08T10:00:00Z","svc":"` + strings.Repeat("a", 5000) + `"}`)); got != ReasonNone {
		t.Errorf("no limit: %v", got)
	}
}
