package version

import (
	"runtime/debug"
	"testing"
)

func TestString(t *testing.T) {
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "3f2a9c41d0be7e55aa0f3c1b2d4e6f8091a2b3c4"
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go test", debug.BuildInfo{Main: debug.Module{Path: "github.com/switchio/switchio"}}, "devel"},
		{"work tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-12-07T14:05:37Z", "vcs.modified", "false")},
			"devel (3f2a9c41d0be, 2026-12-07T14:05:37Z)"},
		{"modified work tree", debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", rev, "vcs.time", "2026-12-07T15:05:37+01:00", "vcs.modified", "true")},
			"devel (3f2a9c41d0be, 2026-12-07T14:05:37Z, modified)"},
		{"go install @version", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"tagged with VCS", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: vcs("vcs.revision", rev)},
			"v1.2.0 (3f2a9c41d0be)"},
		{"short revision", debug.BuildInfo{Settings: vcs("vcs.revision", "abc")}, "devel (abc)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromBuildInfo(&tc.bi).String(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if Read().String() != String() {
		t.Fatal("String differs from Read().String()")
	}
}
