package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer/dialtest"
)

// TestRealDialDrain dials a real FreeSWITCH (opt-in: dialtest.EnvRealFS)
// whose far end rings 12 s (ring12000, docs/far-end-dialplan.md) with
// 1 s holds: the default drain waits for the calls' set-up (twice the
// hold plus 5 s failed them all as SWITCHIO_DRAIN_TIMEOUT).
func TestRealDialDrain(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	bin := buildSwitchio(t)
	dir := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "dial", real.Addrs[0], "--password", real.Password, "--dest", "ring12000",
		"--rate", "5", "--max-offered", "4", "--duration", "1s", "--out", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, out)
	}
	sm, recs := readRun(t, dir)
	t.Logf("ring12000, 1 s holds: %d completed, %d abandoned, failed %v", sm.Completed, sm.Abandoned, sm.FailedByCause)
	if sm.Completed != 4 {
		t.Fatalf("%d of 4 calls completed, failed %v:\n%s", sm.Completed, sm.FailedByCause, out)
	}
	for _, r := range recs {
		if d := r.LocalAnswer.Sub(r.JobLaunch); d < 11*time.Second {
			t.Errorf("call %d answered %v after its offer: the far end did not ring 12 s", r.Seq, d)
		}
	}
}

// TestRealDialServerHangupBy dials a real FreeSWITCH (opt-in) with
// --server-hangup: its sched_hangup ends the calls with NORMAL_CLEARING
// and the A leg's sip_hangup_disposition send_bye, as switchio's own
// uuid_kill does (sofia_on_hangup, mod_sofia.c); the records say server.
func TestRealDialServerHangupBy(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	bin := buildSwitchio(t)
	checkServerHangup(t, bin, real.Addrs[0], "--password", real.Password)
}
