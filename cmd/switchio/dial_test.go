package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/measure/store"
)

// buildSwitchio builds the command into a temporary directory.
func buildSwitchio(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "switchio")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

type emulated struct {
	esl, sip []string
	cmd      *exec.Cmd
}

// startEmulate runs "switchio emulate --servers 2" in a subprocess and
// returns its servers' addresses.
func startEmulate(t *testing.T, bin string) emulated { return startEmulateN(t, bin, 2) }

// startEmulateN runs "switchio emulate --servers n" in a subprocess.
func startEmulateN(t *testing.T, bin string, n int) emulated {
	t.Helper()
	cmd := exec.Command(bin, "emulate", "--servers", strconv.Itoa(n), "--listen", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	e := emulated{cmd: cmd}
	re := regexp.MustCompile(`esl=(\S+) sip=(\S+)`)
	sc := bufio.NewScanner(out)
	for len(e.esl) < n && sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			e.esl = append(e.esl, m[1])
			e.sip = append(e.sip, m[2])
		}
	}
	if len(e.esl) < n {
		t.Fatalf("emulate printed %d servers: %v", len(e.esl), sc.Err())
	}
	go io.Copy(io.Discard, out)
	return e
}

// channels returns the number of channels on an emulated server, read
// over the event socket.
func channels(t *testing.T, addr string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, addr, esl.Config{Password: "ClueCon"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out, err := c.API(ctx, "show channels count")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.Fields(out)[0])
	if err != nil {
		t.Fatalf("show channels count: %q", out)
	}
	return n
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestDialCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	emu := startEmulate(t, bin)

	t.Run("run", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command(bin, append([]string{"dial", "--max-offered", "30", "--rate", "30", "--duration", "1s", "--json", "--out", dir}, emu.esl...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("dial: %v\n%s", err, stderr.String())
		}
		var sm summary.Run
		if err := json.Unmarshal(stdout.Bytes(), &sm); err != nil {
			t.Fatalf("summary JSON: %v\n%s", err, stdout.String())
		}
		if sm.Offered != 30 || sm.Answered != 30 || sm.Failed != 0 || sm.TargetRate != 30 || sm.AchievedRate <= 0 || sm.DurationS <= 0 {
			t.Fatalf("summary %+v", sm)
		}
		// Each server calls its own SIP address.
		for i, s := range sm.Servers {
			if s.Addr != emu.esl[i] || s.Dest != "switchio@"+emu.sip[i] {
				t.Fatalf("server %d: %s -> %s, want %s -> switchio@%s", i, s.Addr, s.Dest, emu.esl[i], emu.sip[i])
			}
		}
		csv, err := os.ReadFile(filepath.Join(dir, "calls.csv"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
		if len(lines) != 31 || !strings.HasPrefix(lines[0], "call_id,seq,server,") {
			t.Fatalf("calls.csv: %d lines, header %q", len(lines), lines[0])
		}
		run, recs := readRun(t, dir)
		if run.Offered != 30 || len(recs) != 30 || run.Metrics == nil || run.Metrics.Offered != 30 {
			t.Fatalf("summary.json %+v, %d records", run, len(recs))
		}
		loaded, err := store.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		var seconds, offered int64
		for s, err := range loaded.Seconds() {
			if err != nil {
				t.Fatal(err)
			}
			seconds++
			offered += s.Offered
		}
		sources := map[string]int{}
		for s, err := range loaded.SysStats() {
			if err != nil {
				t.Fatal(err)
			}
			sources[s.Source]++
		}
		if seconds == 0 || offered != 30 {
			t.Fatalf("time series: %d seconds, %d offered", seconds, offered)
		}
		if sources["controller"] == 0 || sources[emu.esl[0]] == 0 || sources[emu.esl[1]] == 0 {
			t.Fatalf("system statistics by source: %v", sources)
		}
		// The report is built at the end of the run.
		if fi, err := os.Stat(filepath.Join(dir, "report.html")); err != nil || fi.Size() < 10000 {
			t.Fatalf("report.html: %v", err)
		}
		if pngs, _ := filepath.Glob(filepath.Join(dir, "plots", "*.png")); len(pngs) == 0 {
			t.Fatal("no plots/*.png")
		}
	})

	t.Run("ctrl-c", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		cmd, stdout, _ := startDial(t, bin, append([]string{"--max-offered", "0", "--rate", "20", "--duration", "60s", "--out", dir}, emu.esl...)...)
		if channels(t, emu.esl[0])+channels(t, emu.esl[1]) == 0 {
			t.Fatal("no calls up before Ctrl-C")
		}
		cmd.Process.Signal(syscall.SIGINT)
		if code := waitExit(t, cmd, 30*time.Second); code != exitInterrupted {
			t.Fatalf("exit code %d after Ctrl-C, want %d", code, exitInterrupted)
		}
		out := stdout.String()
		if !strings.Contains(out, "offered") || !strings.Contains(out, "achieved") {
			t.Fatalf("no summary after Ctrl-C:\n%s", out)
		}
		// Its calls (held 60 s) were hung up, and recorded abandoned; a
		// call still ringing at Ctrl-C may fail (cancelled).
		if n := channels(t, emu.esl[0]) + channels(t, emu.esl[1]); n != 0 {
			t.Fatalf("%d channels left after Ctrl-C", n)
		}
		sm, _ := readRun(t, dir)
		if sm.Answered == 0 || sm.Abandoned != sm.Answered || sm.Failed > 2 {
			t.Fatalf("summary.json %+v", sm)
		}
	})

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad password", append([]string{"dial", "--password", "S3cr3t-never-shown"}, emu.esl...), "auth"},
		{"unreachable", []string{"dial", "127.0.0.1:1"}, "127.0.0.1:1"},
		{"bad rate", []string{"dial", "--rate", "-1"}, "--rate"},
		{"unknown app", []string{"dial", "--app", "NoSuchApp"}, "NoSuchApp"},
		{"bad header", []string{"dial", "--header", "novalue"}, "--header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if code := exitCode(err); code != 1 {
				t.Fatalf("exit code %d, want 1\n%s", code, stderr.String())
			}
			msg := strings.TrimSpace(stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "switchio:") || !strings.Contains(strings.ToLower(msg), strings.ToLower(tc.want)) {
				t.Fatalf("want one line naming %q, got:\n%s", tc.want, msg)
			}
			if strings.Contains(stderr.String(), "S3cr3t") {
				t.Fatalf("the password leaked: %s", msg)
			}
		})
	}

	t.Run("embedded default", func(t *testing.T) {
		// The README's command: no HOSTS, the documented defaults.
		cmd := exec.Command(bin, "dial", "--json")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("dial: %v\n%s", err, stderr.String())
		}
		var sm summary.Run
		if err := json.Unmarshal(stdout.Bytes(), &sm); err != nil {
			t.Fatal(err)
		}
		if sm.Offered != 200 || sm.Answered != 200 || sm.Failed != 0 || len(sm.Servers) != 2 {
			t.Fatalf("summary %+v", sm)
		}
		if sm.Servers[0].Dest == sm.Servers[1].Dest {
			t.Fatalf("both servers dial %s", sm.Servers[0].Dest)
		}
	})
}
