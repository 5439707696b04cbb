package main

import (
	"context"
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
	sm := runFailingDial(t, ctx, bin, "dial", real.Addrs[0], "--password", real.Password, "--setup=false",
		"--dest", "foo@"+sip, "--app-header", "default",
		"--max-offered", "6", "--rate", "2", "--duration", "1s", "--drain", "10s", "--json")
	if sm.Offered != calls || sm.Failed != calls || sm.FailedByCause["USER_BUSY"] != calls {
		t.Errorf("offered %d, failed %d by cause %v; want all %d USER_BUSY\nserve logs:\n%s",
			sm.Offered, sm.Failed, sm.FailedByCause, calls, logs)
	}
}
