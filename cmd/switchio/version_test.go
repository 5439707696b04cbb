package main

import (
	"context"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchio/switchio/internal/version"
)

// switchio version and --version print one line: the version as
// internal/version gives it.
func TestVersionCmd(t *testing.T) {
	want := "switchio " + version.String() + "\n"
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, err := runRoot(context.Background(), args...)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Errorf("%v printed %q, want %q", args, out, want)
		}
	}
	if _, _, err := runRoot(context.Background(), "version", "extra"); err == nil {
		t.Error("version with an argument accepted")
	}
}

// A binary built from the repository's work tree names the revision
// and its commit time, in version, --version and the report's header.
func TestVersionOfBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if err := exec.Command("git", "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skip("not in a git work tree: the build carries no revision")
	}
	// -buildvcs=true: GOFLAGS may turn the stamp off.
	bin := filepath.Join(t.TempDir(), "switchio")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	line := regexp.MustCompile(`^switchio (v\S+|devel) \([0-9a-f]{12}, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(, modified)?\)\n$`)
	var got []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !line.Match(out) {
			t.Fatalf("%v printed %q, want the version, revision and time", args, out)
		}
		got = append(got, string(out))
	}
	if got[0] != got[1] {
		t.Fatalf("version %q, --version %q", got[0], got[1])
	}
	run := t.TempDir()
	writeTinyRun(t, run)
	if out, err := exec.Command(bin, "report", "--no-png", run).CombinedOutput(); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	page, err := os.ReadFile(filepath.Join(run, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSuffix(got[0], "\n"); !strings.Contains(html.UnescapeString(string(page)), v+"</div>") {
		t.Fatalf("the report's header does not say %q", v)
	}
}
