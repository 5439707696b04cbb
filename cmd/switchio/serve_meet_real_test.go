package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer/dialtest"
)

// TestRealDialIntoServe is TestDialIntoServe on two real FreeSWITCH
// servers (opt-in, SWITCHIO_REAL_FS and SWITCHIO_REAL_FS2): serve runs
// CalleeBlockOnInvite/code=486 on the second, the first dials the second's
// external profile with --app-header default, and each of a few calls is
// rejected USER_BUSY (sofia maps the 486 to it). The dial leaves the
// servers' settings alone (--setup=false).
func TestRealDialIntoServe(t *testing.T) {
	real := dialtest.RealServers(t, 2)
	if testing.Short() {
		t.Skip("builds the binary and runs dial in a subprocess")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sip := real.SIPAddr(t, 1, "external")
	bin := buildSwitchio(t)
	logs := startServe(t, real.Addrs[1], "--password", real.Password, "--app", "CalleeBlockOnInvite/code=486")
	const calls = 6
	cmd := exec.CommandContext(ctx, bin, "dial", real.Addrs[0], "--password", real.Password, "--setup=false",
		"--dest", "foo@"+sip, "--app-header", "default",
		"--max-offered", "6", "--rate", "2", "--duration", "1s", "--drain", "10s", "--json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if code := exitCode(cmd.Run()); code != 2 {
		t.Errorf("dial exited %d, want 2 (every call failed); stderr:\n%s", code, errOut.String())
	}
	var sm struct {
		Offered       uint64            `json:"offered"`
		Failed        uint64            `json:"failed"`
		FailedByCause map[string]uint64 `json:"failed_by_cause"`
	}
	if err := json.Unmarshal(out.Bytes(), &sm); err != nil {
		t.Fatalf("%v in %q; stderr:\n%s", err, out.String(), errOut.String())
	}
	if sm.Offered != calls || sm.Failed != calls || sm.FailedByCause["USER_BUSY"] != calls {
		t.Errorf("offered %d, failed %d by cause %v; want all %d USER_BUSY\nserve logs:\n%s",
			sm.Offered, sm.Failed, sm.FailedByCause, calls, logs)
	}
}
