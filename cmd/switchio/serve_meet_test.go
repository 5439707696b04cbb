package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/fsemu"
)

// startServe runs "switchio serve args..." in-process until the test ends,
// once it logged "serving"; it returns serve's log.
func startServe(t *testing.T, args ...string) *outBuffer {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	logs := &outBuffer{}
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs(append([]string{"serve"}, args...))
		root.SetOut(&outBuffer{})
		root.SetErr(logs)
		done <- root.ExecuteContext(ctx)
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop on cancel")
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), "msg=serving") {
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready; logs:\n%s", logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return logs
}

// failedDial is what a dial's JSON summary says of its failures.
type failedDial struct {
	Offered       uint64            `json:"offered"`
	Failed        uint64            `json:"failed"`
	FailedByCause map[string]uint64 `json:"failed_by_cause"`
}

// runFailingDial runs switchio (bin) with args, a dial with --json whose
// every call should fail: it wants exit code 2 and returns the summary.
func runFailingDial(t *testing.T, ctx context.Context, bin string, args ...string) failedDial {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if code := exitCode(cmd.Run()); code != 2 {
		t.Errorf("dial exited %d, want 2 (every call failed); stderr:\n%s", code, errOut.String())
	}
	var sm failedDial
	if err := json.Unmarshal(out.Bytes(), &sm); err != nil {
		t.Fatalf("%v in %q; stderr:\n%s", err, out.String(), errOut.String())
	}
	return sm
}

// A dial from one server into another where serve runs the far end's app
// (CalleeBlockOnInvite, 486) meets it when --app-header names serve's app
// id: every call is rejected USER_BUSY. Without it the calls name only the
// dialer's own app id, so serve leaves them parked (they end when the dial
// gives up on them) and logs the first of that id at info level, with its
// app id, caller and destination.
func TestDialIntoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs dial in a subprocess (it exits 2 when calls fail)")
	}
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first: runs last
	bin := buildSwitchio(t)
	for _, tc := range []struct {
		name      string
		args      []string
		wantCause string
		logged    bool // serve logged the calls as unrouted
	}{
		{"app header names serve's id", []string{"--app-header", "default"}, "USER_BUSY", false},
		{"dialer's own id only", nil, "SWITCHIO_DRAIN_TIMEOUT", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := fsemu.NewNetwork()
			dialing := fsemu.RunT(t, fsemu.Config{Network: net})
			serving := fsemu.RunT(t, fsemu.Config{Network: net})
			logs := startServe(t, serving.Addr(), "--app", "CalleeBlockOnInvite/code=486")
			if !strings.Contains(logs.String(), `dial_with="--app-header default"`) {
				t.Errorf("serve's ready line does not say how to dial its apps:\n%s", logs)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const calls = 4
			args := append([]string{"dial", dialing.Addr(), "--dest", "foo@" + serving.SIPAddr(),
				"--max-offered", "4", "--rate", "20", "--duration", "1s", "--drain", "1s", "--json"}, tc.args...)
			sm := runFailingDial(t, ctx, bin, args...)
			if sm.Offered != calls || sm.Failed != calls || sm.FailedByCause[tc.wantCause] != calls {
				t.Errorf("offered %d, failed %d by cause %v; want all %d %s\nserve logs:\n%s",
					sm.Offered, sm.Failed, sm.FailedByCause, calls, tc.wantCause, logs)
			}
			var unrouted []string
			for _, line := range strings.Split(logs.String(), "\n") {
				if strings.Contains(line, "no loaded app serves") {
					unrouted = append(unrouted, line)
				}
			}
			if !tc.logged {
				if len(unrouted) != 0 {
					t.Errorf("serve logged unrouted calls:\n%s", logs)
				}
				return
			}
			// one info line for the dialer's id (the others at debug level)
			if len(unrouted) != 1 {
				t.Fatalf("serve logged %d unrouted lines, want 1:\n%s", len(unrouted), logs)
			}
			for _, want := range []string{"level=INFO", "app_id=dial", "app_header=TonePlay", "caller=0", "destination=foo"} {
				if !strings.Contains(unrouted[0], want) {
					t.Errorf("unrouted line %q lacks %q", unrouted[0], want)
				}
			}
		})
	}
}
