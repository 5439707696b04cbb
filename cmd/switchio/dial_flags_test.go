package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/fsemu"
)

// Every bad value is refused before anything starts: exit 1, one line
// naming the flag, no call placed.
func TestDialBadFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	srv := fsemu.RunT(t, fsemu.Config{})
	host := srv.Addr()
	used := filepath.Join(t.TempDir(), "used")
	if err := os.MkdirAll(used, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(used, "calls.csv"), []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"rate NaN", []string{"--rate", "NaN"}, "--rate"},
		{"rate Inf", []string{"--rate", "Inf"}, "--rate"},
		{"rate zero", []string{"--rate", "0"}, "--rate"},
		{"rate 1e300", []string{"--rate", "1e300"}, "--rate"},
		{"rate above 1e6", []string{"--rate", "1000001"}, "--rate"},
		{"stage rate 1e300", []string{"--stage", "1s:1e300"}, "--stage"},
		{"app weight not a number", []string{"--app", "TonePlay:abc"}, "weight"},
		{"limit zero", []string{"--limit", "0"}, "--limit"},
		{"negative server limit", []string{"--server-limit", "-3"}, "--server-limit"},
		{"zero originate timeout", []string{"--originate-timeout", "0"}, "--originate-timeout"},
		{"negative originate timeout", []string{"--originate-timeout", "-1s"}, "originate-timeout"},
		{"zero status interval", []string{"--status-interval", "0"}, "--status-interval"},
		{"zero server timeout", []string{"--server-timeout", "0"}, "--server-timeout"},
		{"duration NaN", []string{"--duration", "NaN"}, "duration"},
		{"negative duration", []string{"--duration", "-5"}, "duration"},
		{"negative drain", []string{"--drain", "-1"}, "drain"},
		{"negative max offered", []string{"--max-offered", "-1"}, "max-offered"},
		{"servers with hosts", []string{"--servers", "3"}, "--servers"},
		{"host twice", []string{host}, "twice"},
		{"duplicate app parameter", []string{"--app", "TonePlay/freq=440,freq=880"}, "given twice"},
		{"app NaN parameter", []string{"--app", "TonePlay/freq=NaN"}, "freq"},
		{"negative app weight", []string{"--app", "TonePlay:-1"}, "weight"},
		{"out not empty", []string{"--out", used}, "--force"},
		{"metrics on every address", []string{"--metrics-addr", "0.0.0.0:9090"}, "--metrics-addr"},
		{"web on every address", []string{"--web", "0.0.0.0:8089"}, "--web"},
		{"bad threshold", []string{"--threshold", "p99(call_setup)<200ms"}, "did you mean call_setup_latency"},
		{"threshold unit", []string{"--threshold", "asr>=2s"}, "asr"},
		{"metrics bad address", []string{"--metrics-addr", "nowhere"}, "--metrics-addr"},
		{"dest with a space", []string{"--dest", "a b"}, "--dest"},
		{"dest user@host with a space", []string{"--dest", "a b@127.0.0.1"}, "--dest"},
		{"dest with a brace", []string{"--dest", "a}b"}, "--dest"},
		{"dest with a comma", []string{"--dest", "a,b"}, "--dest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, bin, srv, host, tc.args, tc.want)
		})
	}
	// --force lets a run write over an earlier one.
	cmd := exec.Command(bin, "dial", "--max-offered", "2", "--rate", "20", "--duration", "0.1", "--out", used, "--force", host)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("--force: %v\n%s", err, out)
	}
	csv, _ := os.ReadFile(filepath.Join(used, "calls.csv"))
	if strings.Count(string(csv), "\n") != 3 {
		t.Fatalf("calls.csv after --force:\n%s", csv)
	}
}

// expectRefused runs dial with args against host and checks it is
// refused before any call: exit 1, one line naming want, and not one
// originate reaching srv.
func expectRefused(t *testing.T, bin string, srv *fsemu.Server, host string, args []string, want string) {
	t.Helper()
	before := srv.CommandCount("originate")
	cmd := exec.Command(bin, append(append([]string{"dial", "--max-offered", "5"}, args...), host)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit code %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, want) {
		t.Fatalf("want one line naming %q, got:\n%s", want, msg)
	}
	if n := srv.CommandCount("originate") - before; n != 0 {
		t.Fatalf("%d calls placed", n)
	}
}

// parseAppArg takes what follows the last ':' as the weight, and says a
// weight that is not a whole number is a bad weight, not an unknown app.
func TestParseAppArg(t *testing.T) {
	for _, tc := range []struct {
		in     string
		spec   string
		weight int
		err    string // in the error; "" for none
	}{
		{"TonePlay", "TonePlay", 1, ""},
		{"TonePlay:3", "TonePlay", 3, ""},
		{"TonePlay:0", "TonePlay", 0, ""},
		{"TonePlay/freq=440:2", "TonePlay/freq=440", 2, ""},
		{"TonePlay:abc", "", 0, `weight "abc"`},
		{"TonePlay:1.5", "", 0, `weight "1.5"`},
		{"TonePlay:", "", 0, `weight ""`},
		{"TonePlay:-1", "", 0, "weight -1"},
		{"TonePlay:99999999999", "", 0, "weight 99999999999"},
		{"TonePlay:99999999999999999999", "", 0, "weight"},
		{"NoSuchApp:2", "", 0, "unknown app"},
		{"TonePlay/freq=abc", "", 0, "freq"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			a, err := parseAppArg(apps.Builtin(), tc.in)
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one naming %s", err, tc.err)
			case tc.err != "" && strings.Contains(tc.err, "weight") && strings.Contains(err.Error(), "unknown app"):
				t.Fatalf("error %v: a bad weight taken for an unknown app", err)
			case tc.err == "" && (a.spec != tc.spec || a.weight != tc.weight):
				t.Fatalf("got %q weight %d, want %q weight %d", a.spec, a.weight, tc.spec, tc.weight)
			}
		})
	}
}
