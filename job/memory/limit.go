package memory

import (
	"bufio"
	"io/fs"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// Limit is the memory limit a process sees, and where it comes from.
type Limit struct {
	Bytes  int64  // 0: no limit
	Source string // "GOMEMLIMIT", or the cgroup file
}

// unlimited is the smallest value taken as "no limit": cgroup v1 writes
// 9223372036854771712 (the largest page multiple) for none.
const unlimited = 1 << 62

// SeenLimit returns the lower of the Go runtime's soft limit
// (GOMEMLIMIT, or debug.SetLimit) and the cgroup's memory limit
// (see CgroupLimit), or a zero Limit when neither is set.
func SeenLimit(fsys fs.FS) Limit {
	var lim Limit
	if soft := debug.SetMemoryLimit(-1); soft > 0 && soft < unlimited {
		lim = Limit{Bytes: soft, Source: "GOMEMLIMIT"}
	}
	if cg := CgroupLimit(fsys); cg.Bytes > 0 && (lim.Bytes == 0 || cg.Bytes < lim.Bytes) {
		lim = cg
	}
	return lim
}

// CgroupLimit returns the tightest memory limit of the process's
// cgroup and its ancestors, read from fsys (the root file system, as
// os.DirFS("/")): cgroup v2's memory.max under /sys/fs/cgroup, or cgroup
// v1's memory.limit_in_bytes under /sys/fs/cgroup/memory. The process's own
// cgroup comes from /proc/self/cgroup; inside a container that is usually
// the mount's root, which is read in any case. "max", a missing file and
// v1's huge "no limit" value mean no limit.
func CgroupLimit(fsys fs.FS) Limit {
	var v1, v2 string // the process's cgroup paths
	if f, err := fsys.Open("proc/self/cgroup"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// hierarchy-ID:controller-list:path
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				v2 = parts[2]
			case slices.Contains(strings.Split(parts[1], ","), "memory"):
				v1 = parts[2]
			}
		}
		f.Close()
	}
	var best Limit
	try := func(mount, own, file string) {
		dirs := []string{mount}
		for p := path.Clean("/" + own); p != "/"; p = path.Dir(p) {
			dirs = append(dirs, mount+p)
		}
		for _, d := range dirs {
			name := d + "/" + file
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				continue
			}
			s := strings.TrimSpace(string(b))
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 || n >= unlimited {
				continue // "max", or no limit
			}
			if best.Bytes == 0 || n < best.Bytes {
				best = Limit{Bytes: n, Source: "/" + name}
			}
		}
	}
	try("sys/fs/cgroup", v2, "memory.max")
	try("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes")
	return best
}
