package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/fsemu"
)

// stuckServer is a fake event socket server that a stuck or overloaded
// FreeSWITCH resembles: it authenticates, answers the first "event plain
// ..." with +OK, then reads every later command and never replies. With
// stuckAt set it answers like FreeSWITCH until the first command starting
// with stuckAt, and nothing from then on.
type stuckServer struct {
	ln       net.Listener
	password string
	stuckAt  string
	mu       sync.Mutex
	cmds     []string      // every command read, auth redacted
	stuck    chan struct{} // closed at the first command left unanswered
	once     sync.Once
	conns    sync.WaitGroup
	open     []net.Conn
}

func startStuckServer(t *testing.T, password, stuckAt string) *stuckServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stuckServer{ln: ln, password: password, stuckAt: stuckAt, stuck: make(chan struct{})}
	s.conns.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *stuckServer) Addr() string { return s.ln.Addr().String() }

func (s *stuckServer) accept() {
	defer s.conns.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.open = append(s.open, c)
		s.mu.Unlock()
		s.conns.Add(1)
		go s.serve(c)
	}
}

func (s *stuckServer) serve(c net.Conn) {
	defer s.conns.Done()
	defer c.Close()
	if _, err := c.Write([]byte("Content-Type: auth/request\n\n")); err != nil {
		return
	}
	r := bufio.NewReader(c)
	subscribed, stuck := false, false
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		if strings.HasPrefix(cmd, "auth ") {
			s.record("auth <redacted>")
			if s.stuckAt == "auth" {
				s.once.Do(func() { close(s.stuck) })
				continue
			}
			if cmd != "auth "+s.password {
				c.Write([]byte("Content-Type: command/reply\nReply-Text: -ERR invalid\n\n"))
				return
			}
			c.Write([]byte("Content-Type: command/reply\nReply-Text: +OK accepted\n\n"))
			continue
		}
		s.record(cmd)
		stuck = stuck || s.stuckAt == "" && subscribed || s.stuckAt != "" && strings.HasPrefix(cmd, s.stuckAt)
		if stuck {
			s.once.Do(func() { close(s.stuck) })
			continue
		}
		subscribed = subscribed || strings.HasPrefix(cmd, "event plain ")
		c.Write(fakeReply(cmd))
	}
}

// fakeReply is what an idle FreeSWITCH answers to the commands of dial's
// set-up.
func fakeReply(cmd string) []byte {
	api, ok := strings.CutPrefix(cmd, "api ")
	if !ok {
		return []byte("Content-Type: command/reply\nReply-Text: +OK\n\n")
	}
	body := "+OK\n"
	switch {
	case strings.HasPrefix(api, "sofia status profile "):
		body = "Name external\nBIND-URL sip:mod_sofia@127.0.0.1:5080;transport=udp\n"
	case strings.HasPrefix(api, "file_exists "):
		body = "true"
	case api == "fsctl sps": // the configured limits (mod_commands.c ctl_function)
		body = "+OK sessions per second: 1000\n"
	case api == "fsctl max_sessions":
		body = "+OK max sessions: 4000\n"
	}
	return []byte(fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body))
}

// readCommand reads one command frame (its first line; headers and body
// of sendmsg-like commands are skipped up to the blank line).
func readCommand(r *bufio.Reader) (string, error) {
	var first string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if first == "" {
				continue
			}
			return first, nil
		}
		if first == "" {
			first = line
		}
	}
}

func (s *stuckServer) record(cmd string) {
	s.mu.Lock()
	s.cmds = append(s.cmds, cmd)
	s.mu.Unlock()
}

// unanswered returns the first command left without a reply.
func (s *stuckServer) unanswered() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	subscribed := false
	for _, c := range s.cmds {
		switch {
		case strings.HasPrefix(c, "auth ") && s.stuckAt != "auth":
		case s.stuckAt == "" && subscribed, s.stuckAt != "" && strings.HasPrefix(c, s.stuckAt):
			return c
		default:
			subscribed = subscribed || strings.HasPrefix(c, "event plain ")
		}
	}
	return ""
}

// commands returns the commands read so far.
func (s *stuckServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *stuckServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.conns.Wait()
}

// waitStuck waits until dial sent the command the server leaves
// unanswered.
func (s *stuckServer) waitStuck(t *testing.T) string {
	t.Helper()
	select {
	case <-s.stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("dial sent nothing after subscribing")
	}
	return s.unanswered()
}

// TestDialSetupStuck: a server that stops answering at any step of
// set-up ends the run within --setup-timeout with one line naming the
// server and the command it never answered; the ESL password appears
// nowhere, and nothing is left running.
func TestDialSetupStuck(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // after the servers' cleanups
	const pw = "Stuck-Secret-7"
	healthy := fsemu.RunT(t, fsemu.Config{Password: pw})
	for _, tc := range []struct {
		name, stuckAt string // stuckAt "": right after the first subscription
		withHealthy   bool
	}{
		{"authenticating", "auth", false},
		{"after subscribing", "", false},
		{"subscribing", "event plain BACKGROUND_JOB", false},
		{"SIP address", "api sofia status profile", false},
		{"settings", "api fsctl sps", false},
		{"settings, second server", "api fsctl sps", true},
		{"app set-up", "event plain CHANNEL_PARK", false},
		{"second app set-up", "event plain DTMF", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startStuckServer(t, pw, tc.stuckAt)
			args := []string{"dial", "--password", pw, "--max-offered", "5", "--setup-timeout", "500ms",
				"--app", "TonePlay", "--app", "DtmfChecker"}
			if tc.withHealthy {
				args = append(args, healthy.Addr())
			}
			args = append(args, srv.Addr())
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			_, stderr, err := runRoot(ctx, args...)
			took := time.Since(start)
			if err == nil {
				t.Fatal("dial ran against a server that never answers")
			}
			if took > 500*time.Millisecond+2*time.Second {
				t.Errorf("dial took %v to give up, --setup-timeout 500ms", took)
			}
			msg := err.Error()
			cmd := srv.unanswered()
			if cmd == "" {
				t.Fatalf("the server was never stuck; it read %q", srv.commands())
			}
			t.Logf("stuck at %q: %s", cmd, msg)
			for _, want := range []string{srv.Addr(), cmd, "--setup-timeout 500ms"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not name %q", msg, want)
				}
			}
			if tc.withHealthy && strings.Contains(msg, healthy.Addr()) {
				t.Errorf("error %q blames the healthy server too", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			if strings.Contains(msg+stderr.String(), pw) {
				t.Errorf("the password shows: %q %q", msg, stderr)
			}
			srv.close()
		})
	}
	if n := healthy.SessionsSinceStartup(); n != 0 {
		t.Errorf("%d calls placed on the healthy server", n)
	}
}

func TestDialSetupTimeoutFlag(t *testing.T) {
	_, _, err := runRoot(context.Background(), "dial", "127.0.0.1:1", "--setup-timeout", "0")
	if err == nil || !strings.Contains(err.Error(), "--setup-timeout") {
		t.Fatalf("--setup-timeout 0: %v", err)
	}
}

// TestDialSetupStuckCLI runs dial against the stuck server in a
// subprocess: left alone it exits 1 within --setup-timeout with a
// one-line error; Ctrl-C and SIGTERM during the hang stop it at once with
// 130 and 143.
func TestDialSetupStuckCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	const pw = "Stuck-Secret-7"
	for _, tc := range []struct {
		name    string
		timeout string
		signal  os.Signal
		code    int
	}{
		{"left alone", "1s", nil, 1},
		{"SIGINT", "1m", os.Interrupt, exitInterrupted},
		{"SIGTERM", "1m", syscall.SIGTERM, exitTerminated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startStuckServer(t, pw, "")
			cmd := exec.Command(bin, "dial", srv.Addr(), "--password", pw, "--max-offered", "5", "--setup-timeout", tc.timeout)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waiting := srv.waitStuck(t)
			if tc.signal != nil {
				cmd.Process.Signal(tc.signal)
			}
			// Generous: the timeout (or at once for a signal) + 2 s.
			within := 3 * time.Second
			code := waitExit(t, cmd, within)
			took := time.Since(start)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, &stderr)
			}
			out := stderr.String()
			if strings.Contains(out+stdout.String(), pw) {
				t.Errorf("the password shows: %q", out)
			}
			t.Logf("exit %d after %v: %q", code, took, out)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), out)
			}
			prefix := "switchio: "
			if tc.signal != nil {
				prefix = "switchio dial: " + tc.signal.String() + " during set-up: stopped"
			}
			for _, want := range []string{prefix, srv.Addr(), waiting} {
				if !strings.Contains(out, want) {
					t.Errorf("stderr %q does not name %q", out, want)
				}
			}
		})
	}
}
