package memory

import (
	"testing"
	"testing/fstest"
)

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

func TestCgroupLimit(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want Limit
	}{
		{"nothing", fstest.MapFS{}, Limit{}},
		{"v2 container: the namespace root", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("1073741824\n"),
		}, Limit{gib, "/sys/fs/cgroup/memory.max"}},
		{"v2 no limit", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n"),
		}, Limit{}},
		{"v2 own cgroup under a looser parent", fstest.MapFS{
			"proc/self/cgroup":                                       file("0::/system.slice/logsmith.service\n"),
			"sys/fs/cgroup/system.slice/memory.max":                  file("8589934592\n"),
			"sys/fs/cgroup/system.slice/logsmith.service/memory.max": file("2147483648\n"),
		}, Limit{2 * gib, "/sys/fs/cgroup/system.slice/logsmith.service/memory.max"}},
		{"v2 tighter parent", fstest.MapFS{
			"proc/self/cgroup":                          file("0::/kubepods/pod1/c1\n"),
			"sys/fs/cgroup/kubepods/pod1/memory.max":    file("536870912\n"),
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": file("max\n"),
		}, Limit{512 * mib, "/sys/fs/cgroup/kubepods/pod1/memory.max"}},
		{"v1 no limit (as on this machine)", fstest.MapFS{
			"proc/self/cgroup":                                         file("4:memory:/process_api/x\n0::/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes":               file("9223372036854771712\n"),
			"sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, Limit{}},
		{"v1 container", fstest.MapFS{
			"proc/self/cgroup":                           file("11:memory:/docker/abc\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("2147483648\n"),
		}, Limit{2 * gib, "/sys/fs/cgroup/memory/memory.limit_in_bytes"}},
		{"v1 with other controllers on the line", fstest.MapFS{
			"proc/self/cgroup": file("5:cpuacct,memory:/job\n"),
			"sys/fs/cgroup/memory/job/memory.limit_in_bytes": file("268435456\n"),
		}, Limit{256 * mib, "/sys/fs/cgroup/memory/job/memory.limit_in_bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CgroupLimit(tc.fs); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
