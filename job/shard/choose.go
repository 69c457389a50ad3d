package shard

// Choice is how many shards a plan runs and what that gives.
type Choice struct {
	ForBudget    int    // the shards the budget alone asks for
	Shards       int    // the shards chosen
	SlowestBytes int64  // the most uncompressed bytes any shard gets
	Seconds      int64  // the slowest shard's estimated time
	Fits         bool   // the slowest shard fits the budget
	CappedBy     string // when it does not: "units", "max_shards" or "largest_unit"
}

// Choose picks the shard count for units as Deal deals them, sizes being
// each unit's estimated uncompressed bytes: the count the budget asks for
// (total bytes over perPod, the bytes a pod reads in the budget), raised
// while the slowest shard would take longer than the budget, within the
// caps (one unit per shard, maxShards, the largest unit).
func Choose(units []Unit, sizes []int64, perPod, throughput int64, maxShards int) Choice {
	var total, largest int64
	for _, s := range sizes {
		total += s
		largest = max(largest, s)
	}
	var c Choice
	c.ForBudget = int(min(max(ceilDiv(total, perPod), 1), 1<<30))
	limit := min(len(units), maxShards)
	n := min(c.ForBudget, limit)
	slowest := slowestShard(units, sizes, n)
	for slowest > perPod && n < limit && slowest > largest {
		n++
		slowest = slowestShard(units, sizes, n)
	}
	c.Shards, c.SlowestBytes = n, slowest
	c.Seconds = ceilDiv(slowest, throughput)
	c.Fits = slowest <= perPod
	switch {
	case c.Fits:
	case n == len(units):
		c.CappedBy = "units"
	case n == maxShards:
		c.CappedBy = "max_shards"
	default:
		c.CappedBy = "largest_unit"
	}
	return c
}

// slowestShard returns the most bytes any of n shards gets.
func slowestShard(units []Unit, sizes []int64, n int) int64 {
	load := make([]int64, n)
	for k, s := range Deal(units, n) {
		load[s] += sizes[k]
	}
	var most int64
	for _, l := range load {
		most = max(most, l)
	}
	return most
}

// ceilDiv is a/b rounded up, 0 when b is not positive.
func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
