package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = ""
)

// build is what the binary knows of its source: the version and commit
// given with -ldflags, else those the go command stamped from the VCS.
type build struct {
	version, commit string
	modified        bool   // the working tree had uncommitted changes
	time            string // the commit's time, RFC 3339
}

// readBuild returns the build of this binary.
func readBuild() build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, bi)
}

// buildOf combines the -ldflags values with bi (nil when unknown): a go
// build in a checkout stamps vcs.revision, vcs.modified and vcs.time, and
// since Go 1.24 a module version (a tag, or a pseudo-version of the
// commit); go install module@version stamps that version.
func buildOf(version, commit string, bi *debug.BuildInfo) build {
	b := build{version: version, commit: commit}
	if bi == nil {
		return b
	}
	if b.version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.version = strings.TrimSuffix(bi.Main.Version, "+dirty")
	}
	if b.commit != "" {
		return b
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.modified":
			b.modified = s.Value == "true"
		case "vcs.time":
			b.time = s.Value
		}
	}
	return b
}

// commitString names the commit built: its hash, "+modified" when the
// tree had changes, or "unknown".
func commitString() string {
	b := readBuild()
	return b.commitText()
}

func (b build) commitText() string {
	c := b.commit
	if c == "" {
		return "unknown"
	}
	if b.modified {
		c += "+modified"
	}
	return c
}

// versionString is what --version prints and manifests record.
func versionString() string { return readBuild().String(runtime.Version()) }

// String renders b with the Go version go.
func (b build) String(goVersion string) string {
	at := ""
	if b.time != "" {
		at = " of " + b.time
	}
	return fmt.Sprintf("logsmith %s (commit %s%s, %s)", b.version, b.commitText(), at, goVersion)
}
