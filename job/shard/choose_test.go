package shard

import "testing"

// Choose asks the budget's count, raises it while the slowest shard is
// over the budget, and says which cap stopped it when none fits.
func TestChoose(t *testing.T) {
	units := func(sizes ...int64) []Unit {
		us := make([]Unit, len(sizes))
		for k, s := range sizes {
			us[k] = Unit{ID: string(rune('a' + k)), Size: s}
		}
		return us
	}
	for _, tc := range []struct {
		name      string
		sizes     []int64
		perPod    int64
		maxShards int
		want      Choice
	}{
		{"one pod", []int64{10, 20, 30}, 100, 8, Choice{ForBudget: 1, Shards: 1, SlowestBytes: 60, Seconds: 6, Fits: true}},
		{"the budget's count", []int64{50, 50, 50, 50}, 100, 8, Choice{ForBudget: 2, Shards: 2, SlowestBytes: 100, Seconds: 10, Fits: true}},
		{"raised past the budget's count", []int64{90, 60, 30, 20}, 100, 8, Choice{ForBudget: 2, Shards: 3, SlowestBytes: 90, Seconds: 9, Fits: true}},
		{"capped by the largest unit", []int64{300, 10, 10, 10, 10, 10}, 100, 8, Choice{ForBudget: 4, Shards: 4, SlowestBytes: 300, Seconds: 30, CappedBy: "largest_unit"}},
		{"capped by max shards", []int64{100, 100, 100, 100}, 100, 2, Choice{ForBudget: 4, Shards: 2, SlowestBytes: 200, Seconds: 20, CappedBy: "max_shards"}},
		{"capped by the units", []int64{150, 150}, 100, 8, Choice{ForBudget: 3, Shards: 2, SlowestBytes: 150, Seconds: 15, CappedBy: "units"}},
	} {
		if got := Choose(units(tc.sizes...), tc.sizes, tc.perPod, 10, tc.maxShards); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
