// Package version tells which switchio a binary is, from the build
// information Go stamps into it: the module's version, and the VCS
// revision and commit time of the work tree it was built from. switchio
// version, --version and the reports' headers all print String.
package version

import (
	"runtime/debug"
	"strings"
	"time"
)

// Info is what a binary's build information says of it.
type Info struct {
	// Module is the main module's path; Version its version ("" when
	// built from a work tree: go build reports "(devel)").
	Module, Version string
	// Revision is the VCS revision built, Time its commit time, Modified
	// whether the work tree had changes; zero without VCS information
	// (go test, -buildvcs=false, a build outside a repository).
	Revision string
	Time     time.Time
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// Read returns the running binary's Info (zero when it carries no build
// information).
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{}
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo extracts an Info from build information.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Module: bi.Main.Path, GoVersion: bi.GoVersion}
	if v := bi.Main.Version; v != "(devel)" {
		in.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time, _ = time.Parse(time.RFC3339, s.Value)
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// revisionLen is how much of a revision String shows, as git's short
// hashes of a large repository.
const revisionLen = 12

// String is the version as switchio prints it: the module version
// ("devel" when built from a work tree), then the revision, its commit
// time and "modified" when known, e.g. "v1.2.0 (3f2a9c41d0be,
// 2026-12-07T14:05:37Z)" or "devel (3f2a9c41d0be, 2026-12-07T14:05:37Z,
// modified)".
func (in Info) String() string {
	v := in.Version
	if v == "" {
		v = "devel"
	}
	var parts []string
	if in.Revision != "" {
		parts = append(parts, in.Revision[:min(len(in.Revision), revisionLen)])
	}
	if !in.Time.IsZero() {
		parts = append(parts, in.Time.UTC().Format(time.RFC3339))
	}
	if in.Modified {
		parts = append(parts, "modified")
	}
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}

// String is the running binary's version: Read().String().
func String() string { return Read().String() }
