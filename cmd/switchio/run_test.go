package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// --dry-run prints the plan: each option's value and where it came from,
// a flag winning over the file; it connects to nothing.
func TestRunDryRun(t *testing.T) {
	out, _, err := runRoot(context.Background(), "run", "../../examples/tests/smoke.star", "--dry-run", "--rate", "40")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^  rate +40 +flag --rate$`),
		regexp.MustCompile(`(?m)^  max_offered +20 +\.\./\.\./examples/tests/smoke\.star:\d+:\d+$`),
		regexp.MustCompile(`(?m)^  limit +1000 +default$`),
		regexp.MustCompile(`(?m)^  servers +the embedded emulated servers +default$`),
		regexp.MustCompile(`(?m)^  thresholds +asr>=1 media_failed==0 p99\(local_setup_latency\)<2s +\.\./\.\./examples/tests/smoke\.star:`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("plan:\n%s\nwant a line matching %s", out, want)
		}
	}
}

// A bad test file is one line naming the file and line, one test per kind
// of error, before any connection (its servers would refuse one).
func TestRunBadFiles(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SWITCHIO_TEST_PW", "s3cret")
	for _, tc := range []struct{ name, src, want string }{
		{"misspelt option", `options(rat = 20)`, `bad.star:1:8: options: unknown option "rat"`},
		{"wrong type", `options(rate = "fast")`, `bad.star:1:8: options: rate: want a number, got string`},
		{"bad threshold", `options(thresholds = ["p99(call_setup_latency)<<5"])`, `bad.star:1:8: options: thresholds:`},
		{"password in clear", `options(password = "ClueCon")`, `bad.star:1:8: options: password: never write a password in a test file`},
		{"password env unset", `options(password_env = "SWITCHIO_NO_SUCH_VAR")`, `bad.star:1:8: options: password_env: the environment variable SWITCHIO_NO_SUCH_VAR is not set`},
		{"syntax", "options(rate = 20\n", `bad.star:2:1: got end of file, want ')'`},
		{"no options", `x = 1`, `bad.star: no options(...)`},
		{"bad limit", `options(limit = 2.5)`, `bad.star:1:8: options: limit:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "bad.star")
			src := tc.src
			if !strings.Contains(src, "servers") {
				src = strings.Replace(src, "options(", "options(servers = [\"127.0.0.1:1\"], ", 1)
				if !strings.Contains(tc.src, "options(") {
					src = tc.src
				}
			}
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := runRoot(context.Background(), "run", path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") ||
				strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "127.0.0.1:1") && !strings.Contains(tc.want, "127.0.0.1:1") {
				t.Fatalf("error %v, want one line containing %q", err, tc.want)
			}
		})
	}
}

// The example tests run against the embedded emulator and pass (exit 0):
// the smoke test, the staged capacity test with its thresholds, and the
// IVR walk with an app declared in the test file.
func TestRunExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and dials")
	}
	bin := buildSwitchio(t)
	for _, file := range []string{"smoke.star", "capacity.star", "ivr.star"} {
		t.Run(file, func(t *testing.T) {
			cmd := exec.Command(bin, "run", filepath.Join("..", "..", "examples", "tests", file))
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if errors.As(err, &exit) || err != nil {
				t.Fatalf("switchio run %s: %v\n%s", file, err, out)
			}
			if !strings.Contains(string(out), "offered") {
				t.Fatalf("no summary:\n%s", out)
			}
		})
	}
}
