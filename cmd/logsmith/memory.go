package main

import (
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/logsmith/logsmith/job"
)

// checkMemory refuses a run (or parallel runs, for a backfill) whose
// memory budget at the caps exceeds the limit the process sees; see
// job.CheckMemory.
//
// When GOMEMLIMIT is not set and the cgroup has a memory limit, it first
// sets the Go runtime's soft limit to 90% of the cgroup's: without one the
// collector lets the heap grow to twice the live data (GOGC=100) and
// knows nothing of the cgroup, so a run whose live data fits could still
// be killed by the kernel. That 90% is then the limit checked.
func checkMemory(cfg *job.Config, parallel int) error {
	fsys := os.DirFS("/")
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if cg := job.CgroupMemoryLimit(fsys); cg.Bytes > 0 {
			soft := cg.Bytes / 10 * 9
			debug.SetMemoryLimit(soft)
			lim := job.MemoryLimit{Bytes: soft, Source: "90% of " + cg.Source + ", set as the Go memory limit"}
			return job.CheckMemory(cfg, parallel, lim, time.Now())
		}
	}
	return job.CheckMemory(cfg, parallel, job.SeenMemoryLimit(fsys), time.Now())
}
