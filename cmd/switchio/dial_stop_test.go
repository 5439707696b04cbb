package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// readRun reads a finished run back (measure/store) and checks the
// outcome table: answered + failed == offered, completed + dropped +
// abandoned == answered, one record per offered call, the catalogue's
// figures computed from the same records.
func readRun(t *testing.T, dir string) (summary.Run, []measure.Record) {
	t.Helper()
	run, err := store.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sm summary.Run
	if err := run.Summary(&sm); err != nil {
		t.Fatal(err)
	}
	var recs []measure.Record
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if sm.Answered+sm.Failed != sm.Offered || sm.Completed+sm.Dropped+sm.Abandoned != sm.Answered {
		t.Errorf("summary breaks the outcome table: %+v", sm)
	}
	if uint64(len(recs)) != sm.Offered {
		t.Errorf("%d records for %d offered calls", len(recs), sm.Offered)
	}
	if f := sm.Metrics; f == nil || f.Offered+warmupOffered(f) != sm.Offered || f.Abandoned+warmupAbandoned(f) != sm.Abandoned {
		t.Errorf("summary figures %+v disagree with the dialer's %+v", f, sm)
	}
	return sm, recs
}

func warmupOffered(f *measure.MetricsSummary) uint64 {
	if f.Warmup == nil {
		return 0
	}
	return f.Warmup.Offered
}

func warmupAbandoned(f *measure.MetricsSummary) uint64 {
	if f.Warmup == nil {
		return 0
	}
	return f.Warmup.Abandoned
}

// startDial starts a dial in a subprocess and returns once it reported
// answered calls on stderr.
func startDial(t *testing.T, bin string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd, stdout, stderr, rest := startDialUntil(t, bin, args, answeredLine)
	go io.Copy(io.Discard, rest)
	return cmd, stdout, stderr
}

// answeredLine reports whether a status line shows calls answered.
func answeredLine(line string) bool {
	return strings.Contains(line, "answered=") && !strings.Contains(line, "answered=0 ")
}

// startDialUntil starts a dial in a subprocess (status every 100 ms)
// and reads its stderr into a buffer line by line until stop says so; it
// returns the rest of stderr still to read.
func startDialUntil(t *testing.T, bin string, args []string, stop func(line string) bool) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer, rest io.Reader) {
	t.Helper()
	cmd = exec.Command(bin, append([]string{"dial", "--status-interval", "100ms"}, args...)...)
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout = stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(errPipe)
	for sc.Scan() {
		stderr.WriteString(sc.Text() + "\n")
		if stop(sc.Text()) {
			break
		}
	}
	return cmd, stdout, stderr, errPipe
}

func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err)
	case <-time.After(within):
		cmd.Process.Kill()
		<-done
		t.Fatalf("dial still running %v later", within)
	}
	return -1
}

func TestDialStopping(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)

	t.Run("sigterm", func(t *testing.T) {
		emu := startEmulate(t, bin)
		dir := filepath.Join(t.TempDir(), "out")
		cmd, _, _ := startDial(t, bin, append([]string{"--max-offered", "0", "--rate", "20", "--duration", "60", "--out", dir}, emu.esl...)...)
		cmd.Process.Signal(syscall.SIGTERM)
		if code := waitExit(t, cmd, 30*time.Second); code != exitTerminated {
			t.Fatalf("exit code %d after SIGTERM, want %d", code, exitTerminated)
		}
		sm, _ := readRun(t, dir)
		if sm.Abandoned == 0 {
			t.Fatalf("calls held 60 s not abandoned: %+v", sm)
		}
	})

	t.Run("second ctrl-c records every call", func(t *testing.T) {
		emu := startEmulate(t, bin)
		dir := filepath.Join(t.TempDir(), "out")
		cmd, _, _ := startDial(t, bin, append([]string{"--max-offered", "0", "--rate", "50", "--duration", "60", "--out", dir}, emu.esl...)...)
		time.Sleep(300 * time.Millisecond) // more calls up, some ringing
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Process.Signal(syscall.SIGINT)
		if code := waitExit(t, cmd, 15*time.Second); code != exitInterrupted {
			t.Fatalf("exit code %d, want %d", code, exitInterrupted)
		}
		sm, recs := readRun(t, dir)
		abandoned := 0
		for _, r := range recs {
			if r.Outcome == "abandoned" {
				abandoned++
			}
		}
		if abandoned == 0 || uint64(abandoned) != sm.Abandoned {
			t.Fatalf("%d rows abandoned, summary %d", abandoned, sm.Abandoned)
		}
	})

	t.Run("drain timeout", func(t *testing.T) {
		// --drain 1s with a 30 s hold: the run ends ~1 s after the last
		// offer, its calls recorded abandoned, not waited for.
		emu := startEmulate(t, bin)
		dir := filepath.Join(t.TempDir(), "out")
		start := time.Now()
		cmd := exec.Command(bin, append([]string{"dial", "--max-offered", "20", "--rate", "40", "--duration", "30", "--drain", "1s", "--out", dir}, emu.esl...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dial: %v\n%s", err, out)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("a 1 s drain took %v: it waited for the 30 s hold", d)
		}
		sm, _ := readRun(t, dir)
		if sm.Abandoned != sm.Answered || sm.Answered == 0 || sm.FailedByCause[dialer.CauseDrainTimeout] != sm.Failed {
			t.Fatalf("after the drain: %+v", sm)
		}
	})

	t.Run("prometheus", func(t *testing.T) {
		emu := startEmulateN(t, bin, 1)
		cmd, _, stderr := startDial(t, bin, "--max-offered", "0", "--rate", "20", "--duration", "60", "--metrics-addr", "127.0.0.1:0", emu.esl[0])
		m := regexp.MustCompile(`Prometheus metrics at (http://\S+)`).FindStringSubmatch(stderr.String())
		if m == nil {
			cmd.Process.Kill()
			t.Fatalf("no metrics address printed:\n%s", stderr)
		}
		resp, err := http.Get(m[1])
		if err != nil {
			cmd.Process.Kill()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cmd.Process.Signal(syscall.SIGINT)
		if code := waitExit(t, cmd, 30*time.Second); code != exitInterrupted {
			t.Fatalf("exit code %d", code)
		}
		for _, want := range []string{"switchio_offered_calls_total{server=", "switchio_active_calls{server=", "switchio_local_setup_latency_seconds_bucket"} {
			if !strings.Contains(string(body), want) {
				t.Fatalf("metrics lack %s:\n%.2000s", want, body)
			}
		}
	})

	t.Run("thresholds", func(t *testing.T) {
		emu := startEmulateN(t, bin, 1)
		for _, tc := range []struct {
			thresholds []string
			code       int
			lines      []string
		}{
			{[]string{"asr>=0.99", "p99(local_setup_latency)<5s"}, 0, []string{"✓ asr>=0.99", "✓ p99(local_setup_latency)<5s"}},
			{[]string{"asr>=0.99", "completed<5"}, exitThreshold, []string{"✓ asr>=0.99", "✗ completed<5"}},
			{[]string{"max(pdd)<1s"}, exitThreshold, []string{"✗ max(pdd)<1s  (no data)"}},
		} {
			dir := filepath.Join(t.TempDir(), "out")
			args := []string{"dial", "--max-offered", "20", "--rate", "50", "--duration", "0.2", "--out", dir}
			for _, th := range tc.thresholds {
				args = append(args, "--threshold", th)
			}
			out, err := exec.Command(bin, append(args, emu.esl[0])...).Output()
			if code := exitCode(err); code != tc.code {
				t.Fatalf("%v: exit code %d, want %d\n%s", tc.thresholds, code, tc.code, out)
			}
			for _, l := range tc.lines {
				if !strings.Contains(string(out), l) {
					t.Fatalf("%v: summary lacks %q:\n%s", tc.thresholds, l, out)
				}
			}
			sm, _ := readRun(t, dir)
			if len(sm.Thresholds) != len(tc.thresholds) || sm.Thresholds.Passed() != (tc.code == 0) {
				t.Fatalf("summary.json thresholds %+v", sm.Thresholds)
			}
		}
	})

	t.Run("web", func(t *testing.T) {
		// The live view's stop button ends the run like the end of
		// offering: its POST needs the printed token.
		emu := startEmulateN(t, bin, 1)
		cmd, stdout, stderr := startDial(t, bin, "--max-offered", "0", "--rate", "20", "--duration", "0.3", "--web", "127.0.0.1:0", emu.esl[0])
		m := regexp.MustCompile(`live view at (http://[^/]+)/#token=(\S+)`).FindStringSubmatch(stderr.String())
		if m == nil {
			cmd.Process.Kill()
			t.Fatalf("no live view address printed:\n%s", stderr)
		}
		post := func(token string) int {
			req, _ := http.NewRequest("POST", m[1]+"/api/stop", strings.NewReader("{}"))
			req.Header.Set("X-Switchio-Token", token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				cmd.Process.Kill()
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := post("wrong"); code != http.StatusForbidden {
			cmd.Process.Kill()
			t.Fatalf("stop without the token: %d", code)
		}
		if code := post(m[2]); code != http.StatusOK && code != http.StatusNoContent {
			cmd.Process.Kill()
			t.Fatalf("stop with the token: %d", code)
		}
		if code := waitExit(t, cmd, 30*time.Second); code != 0 {
			t.Fatalf("exit code %d after stop", code)
		}
		if !strings.Contains(stdout.String(), "offered") {
			t.Fatalf("no summary:\n%s", stdout)
		}
	})

	t.Run("no call answered", func(t *testing.T) {
		// Every call to a SIP address nobody listens on fails: the run
		// failed, exit 2.
		emu := startEmulateN(t, bin, 1)
		dir := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command(bin, "dial", "--max-offered", "20", "--rate", "40", "--dest", "nobody@127.0.0.1:1", "--out", dir, emu.esl[0])
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != exitRunFailed {
			t.Fatalf("exit code %d with every call failed, want %d\n%s", code, exitRunFailed, out)
		}
		sm, _ := readRun(t, dir)
		if sm.Offered != 20 || sm.Failed != 20 {
			t.Fatalf("summary %+v", sm)
		}
	})

	t.Run("only server killed", func(t *testing.T) {
		emu := startEmulateN(t, bin, 1)
		dir := filepath.Join(t.TempDir(), "out")
		cmd, stdout, _ := startDial(t, bin, "--max-offered", "0", "--rate", "50", "--duration", "60", "--server-timeout", "1s", "--out", dir, emu.esl[0])
		emu.cmd.Process.Kill()
		if code := waitExit(t, cmd, 30*time.Second); code != exitRunFailed {
			t.Fatalf("exit code %d with the only server dead, want %d\n%s", code, exitRunFailed, stdout.String())
		}
		sm, _ := readRun(t, dir)
		if !sm.AllServersLost || len(sm.LostServers) != 1 || sm.Servers[0].Saturated {
			t.Fatalf("lost servers %+v, all lost %v, saturated %v", sm.LostServers, sm.AllServersLost, sm.Servers[0].Saturated)
		}
		if !strings.Contains(stdout.String(), "lost: server "+emu.esl[0]) {
			t.Fatalf("summary does not name the lost server:\n%s", stdout.String())
		}
	})
}
