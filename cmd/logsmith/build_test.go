package main

import (
	"runtime/debug"
	"testing"
)

// The version comes from -ldflags, else from what go build stamped from
// the VCS; "dev (commit unknown)" only when neither says.
func TestBuildVersion(t *testing.T) {
	vcs := func(rev, modified, at string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20251108120000-0123456789ab"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}, {Key: "vcs.time", Value: at}}}
	}
	for _, c := range []struct {
		name, version, commit string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"ldflags", "v1.2.3", "abc", vcs("0123456789abcdef", "true", "2025-11-08T12:00:00Z"), "logsmith v1.2.3 (commit abc, go1.x)"},
		{"go build in a checkout", "dev", "", vcs("0123456789abcdef", "false", "2025-11-08T12:00:00Z"),
			"logsmith v0.0.0-20251108120000-0123456789ab (commit 0123456789abcdef of 2025-11-08T12:00:00Z, go1.x)"},
		{"uncommitted changes", "dev", "", vcs("0123456789abcdef", "true", "2025-11-08T12:00:00Z"),
			"logsmith v0.0.0-20251108120000-0123456789ab (commit 0123456789abcdef+modified of 2025-11-08T12:00:00Z, go1.x)"},
		{"go install module@version", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "logsmith v1.4.0 (commit unknown, go1.x)"},
		{"nothing stamped (-buildvcs=false)", "dev", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "logsmith dev (commit unknown, go1.x)"},
		{"no build info", "dev", "", nil, "logsmith dev (commit unknown, go1.x)"},
	} {
		if got := buildOf(c.version, c.commit, c.bi).String("go1.x"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
