package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/fsemu"
)

// Calls parked for serve's apps end on their own when serve is killed
// (SIGKILL: no clean-up of any kind): the server hangs them up after
// --park-guard. Without the guard they stay up for ever.
func TestServeParkGuardOutlivesServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a subprocess")
	}
	bin := buildSwitchio(t)
	srv := fsemu.RunT(t, fsemu.Config{}) // far end: parks, unanswered
	cmd := exec.Command(bin, "serve", srv.Addr(), "--out", t.TempDir(), "--park-guard", "2s")
	stderr := &outBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for !strings.Contains(stderr.String(), "serving") {
		if ctx.Err() != nil {
			t.Fatalf("serve not ready:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := esl.Dial(ctx, srv.Addr(), esl.Config{Password: "ClueCon"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.BgAPI(ctx, "originate sofia/external/1000@"+srv.SIPAddr()+" &park()"); err != nil {
		t.Fatal(err)
	}
	for len(srv.Channels()) < 2 {
		if ctx.Err() != nil {
			t.Fatal("the call did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // serve sees the park and schedules the guard
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := len(srv.Channels()); n != 2 {
		t.Fatalf("%d channels right after serve died, want the call's 2", n)
	}
	deadline := time.Now().Add(6 * time.Second)
	for len(srv.Channels()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(srv.Channels()); n > 0 {
		t.Fatalf("%d channels still up 6 s after serve died, with a 2 s park guard", n)
	}
}
