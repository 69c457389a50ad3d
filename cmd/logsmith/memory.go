package main

import (
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/logsmith/logsmith/job"
)

// memoryLimit returns the memory limit the process sees; see
// job.SeenMemoryLimit.
//
// When GOMEMLIMIT is not set and the cgroup has a memory limit, it first
// sets the Go runtime's soft limit to 90% of the cgroup's: without one the
// collector lets the heap grow to twice the live data (GOGC=100) and
// knows nothing of the cgroup, so a run whose live data fits could still
// be killed by the kernel. That 90% is then the limit returned.
func memoryLimit() job.MemoryLimit {
	fsys := os.DirFS("/")
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if cg := job.CgroupMemoryLimit(fsys); cg.Bytes > 0 {
			soft := cg.Bytes / 10 * 9
			debug.SetMemoryLimit(soft)
			return job.MemoryLimit{Bytes: soft, Source: "90% of " + cg.Source + ", set as the Go memory limit"}
		}
	}
	return job.SeenMemoryLimit(fsys)
}

// memoryGuard is the memory check of runs (parallel of them at once, for a
// backfill), made once each has listed its input: see job.MemoryGuard. A
// merge, which reads no input, is checked at the caps before it starts
// (job.CheckMemory).
func memoryGuard(parallel int) job.MemoryGuard {
	return job.MemoryGuard{Limit: memoryLimit(), Parallel: parallel}
}

// checkMergeMemory refuses a merge whose memory estimate at the caps
// exceeds the limit the process sees; see job.CheckMemory.
func checkMergeMemory(cfg *job.Config) error {
	return job.CheckMemory(cfg, 1, memoryLimit(), time.Now())
}
