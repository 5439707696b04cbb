package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure/store"
	"github.com/switchio/switchio/originate"
)

// outBuffer is a bytes.Buffer safe for a command's output and a reader.
type outBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *outBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *outBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// run executes the root command in-process with args.
func runRoot(ctx context.Context, args ...string) (stdout, stderr *outBuffer, err error) {
	stdout, stderr = &outBuffer{}, &outBuffer{}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return stdout, stderr, root.ExecuteContext(ctx)
}

// list-apps shows every registered app with its description and each
// parameter with its type, default and help.
func TestListApps(t *testing.T) {
	out, _, err := runRoot(context.Background(), "list-apps")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"github.com/switchio/switchio/apps/dtmf:\n  DtmfChecker\n      The calling leg sends a DTMF sequence",
		"        digits (string, default 1234567890*#): the sequence to send (0-9 * # A-D)\n",
		"        duration (duration, default 200ms): how long each digit is sent\n",
		"github.com/switchio/switchio/apps/tone:\n  TonePlay\n      Answers the called leg and echoes;",
		"        freq (int, default 1004): tone frequency, Hz\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("list-apps printed:\n%s\nwant it to contain:\n%s", out, want)
		}
	}
	for _, a := range apps.Builtin().All() {
		if a.Description == "" || !strings.Contains(out.String(), "  "+a.Name+"\n      "+a.Description+"\n") {
			t.Errorf("%s: no description listed", a.Name)
		}
		for _, p := range a.Params {
			if p.Help == "" || !strings.Contains(out.String(), "        "+p.Name+" ("+p.Type) {
				t.Errorf("%s: parameter %s not listed with its help", a.Name, p.Name)
			}
		}
	}
}

func TestServeBadApp(t *testing.T) {
	srv := fsemu.RunT(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no app", []string{"serve", srv.Addr()}, "at least one --app"},
		{"unknown app", []string{"serve", srv.Addr(), "--app", "Nope"}, `unknown app "Nope" (registered: `},
		{"unknown param", []string{"serve", srv.Addr(), "--app", "TonePlay/pitch=3"}, `parameter "pitch": unknown parameter (known: dir, freq, keep, max_gap, readdir, record)`},
		{"bad value", []string{"serve", srv.Addr(), "--app", "TonePlay/freq=loud"}, `parameter "freq"="loud": not an integer`},
		{"rejected by setup", []string{"serve", srv.Addr(), "--app", "TonePlay/freq=0"}, "freq 0 Hz out of range"},
		{"no host", []string{"serve", "--app", "TonePlay"}, "requires at least 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := runRoot(ctx, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want one line containing %q", err, tt.want)
			}
		})
	}
}

// TestServeTonePlay runs "switchio serve --app TonePlay" against an emulated
// server and checks an inbound call is answered and played to.
func TestServeTonePlay(t *testing.T) {
	// registered first, so it runs last: after serve and the servers stopped
	t.Cleanup(func() { goleak.VerifyNone(t) })
	n := fsemu.NewNetwork()
	caller := fsemu.RunT(t, fsemu.Config{Network: n})
	callee := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	var logs *outBuffer
	started := make(chan struct{})
	out := filepath.Join(t.TempDir(), "served")
	go func() {
		var err error
		stdout, stderr := &outBuffer{}, &outBuffer{}
		logs = stderr
		close(started)
		root := newRootCmd()
		root.SetArgs([]string{"serve", callee.Addr(), "--app", "TonePlay/freq=800", "--out", out})
		root.SetOut(stdout)
		root.SetErr(stderr)
		err = root.ExecuteContext(serveCtx)
		done <- err
	}()
	<-started
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "serving") {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready; logs:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	c, err := cluster.Dial(ctx, caller.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// a second controller on the callee watches what TonePlay runs there
	watch, err := cluster.Dial(ctx, callee.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	echoed := make(chan string, 4)
	watch.Observe(func(ev *cluster.Event) {
		if ev.Key == "CHANNEL_EXECUTE" {
			select { // observers must not block the loop
			case echoed <- ev.Get("Application"):
			default:
			}
		}
	})
	if err := watch.Subscribe(ctx, "CHANNEL_EXECUTE"); err != nil {
		t.Fatal(err)
	}
	// the call carries no app id: the served apps run under "default"
	call, err := appkit.SyncCall(ctx, c, originate.Request{Dest: "1000@" + callee.SIPAddr()}, "", nil)
	if err != nil {
		t.Fatalf("inbound call not answered by TonePlay: %v\nserve logs:\n%s", err, logs)
	}
	if !call.First().Answered() {
		t.Fatal("caller leg not answered")
	}
	for app := ""; app != "echo"; {
		select {
		case app = <-echoed:
		case <-ctx.Done():
			t.Fatal("the answered inbound leg did not echo")
		}
	}
	_ = call.Hangup(ctx, "")
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop on cancel")
	}
	// --out: the call seen on the served server was recorded.
	run, err := store.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	records := 0
	for r, err := range run.Records() {
		if err != nil {
			t.Fatal(err)
		}
		if r.Server != callee.Addr() || r.Outcome != "answered" {
			t.Fatalf("record %+v", r)
		}
		records++
	}
	if records != 1 || !run.Closed {
		t.Fatalf("%d records (closed %v), want the one call", records, run.Closed)
	}
}

func TestNormalizeHosts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"fs1", "fs1:8021"},
		{"fs1:9000", "fs1:9000"},
		{"10.0.0.1", "10.0.0.1:8021"},
		{"::1", "[::1]:8021"},
		{"[::1]", "[::1]:8021"},
		{"[::1]:9000", "[::1]:9000"},
	}
	for _, tt := range tests {
		if got := normalizeHosts([]string{tt.in})[0]; got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmulate runs "switchio emulate" in-process: it prints one line per
// server (never a chosen password), serves ESL with that password, and
// returns cleanly when its context ends (as on Ctrl-C).
func TestEmulate(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &outBuffer{}
	root := newRootCmd()
	root.SetArgs([]string{"emulate", "--servers", "2", "--listen", "127.0.0.1:0", "--password", "Emu-s3cret"})
	root.SetOut(stdout)
	root.SetErr(&outBuffer{})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(stdout.String(), "\n") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("emulate printed %q", stdout.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := stdout.String()
	if strings.Contains(out, "Emu-s3cret") {
		t.Fatalf("password printed: %q", out)
	}
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "esl=") {
			t.Fatalf("line %q", line)
		}
		addrs = append(addrs, strings.TrimPrefix(f[1], "esl="))
	}
	for _, addr := range addrs {
		pool, err := cluster.NewPool(ctx, []string{addr}, cluster.Config{Password: "Emu-s3cret"})
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		pool.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("emulate: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("emulate did not stop")
	}
}

// TestDialSetupRefused: a server that refuses the load-test settings stops
// the run before any call, with a one-line reason naming it.
func TestDialSetupRefused(t *testing.T) {
	srv := fsemu.RunT(t)
	srv.DenyAPI("fsctl")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := runRoot(ctx, "dial", srv.Addr(), "--max-offered", "5")
	if err == nil {
		t.Fatal("dial ran against a server refusing its settings")
	}
	msg := err.Error()
	for _, want := range []string{srv.Addr(), "fsctl", "permission denied"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	if n := srv.SessionsSinceStartup(); n != 0 {
		t.Errorf("%d calls placed after the refusal", n)
	}
}
