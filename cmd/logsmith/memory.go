package main

import (
	"math"
	"os"
	"runtime/debug"
	"time"

	"github.com/logsmith/logsmith/job"
	"github.com/logsmith/logsmith/job/memcheck"
	"github.com/logsmith/logsmith/job/memory"
	"github.com/logsmith/logsmith/job/settings"
)

// memoryGuard returns the memory check of cmd's runs, parallel at once (a
// backfill's dates), each made once it has listed its input (see
// job.MemoryGuard). A merge, which reads no input, is checked here at the
// caps (memcheck.Check): the error, only ever a merge's, refuses it.
//
// When GOMEMLIMIT is not set and the cgroup has a memory limit, it first
// sets the Go runtime's soft limit to 90% of the cgroup's: without one the
// collector lets the heap grow to twice the live data (GOGC=100) and
// knows nothing of the cgroup, so a run whose live data fits could still
// be killed by the kernel. That 90% is then the limit checked.
func memoryGuard(cfg *settings.Config, cmd string, parallel int) (job.MemoryGuard, error) {
	fsys := os.DirFS("/")
	lim := memory.SeenLimit(fsys)
	if cg := memory.CgroupLimit(fsys); debug.SetMemoryLimit(-1) == math.MaxInt64 && cg.Bytes > 0 {
		lim = memory.Limit{Bytes: cg.Bytes / 10 * 9, Source: "90% of " + cg.Source + ", set as the Go memory limit"}
		debug.SetMemoryLimit(lim.Bytes)
	}
	if cmd == "merge" {
		return job.MemoryGuard{}, memcheck.Check(cfg, parallel, lim, time.Now())
	}
	return job.MemoryGuard{Limit: lim, Parallel: parallel}, nil
}
