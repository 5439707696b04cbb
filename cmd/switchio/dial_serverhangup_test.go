package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/switchio/switchio/measure"
)

// checkServerHangup runs dial --server-hangup against addr and checks
// that every record says the server ended its call.
func checkServerHangup(t *testing.T, bin string, args ...string) []measure.Record {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "out")
	args = append([]string{"dial", "--server-hangup", "--rate", "5", "--max-offered", "3", "--duration", "1s", "--out", dir}, args...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("dial: %v\n%s", err, out)
	}
	sm, recs := readRun(t, dir)
	if sm.Completed != 3 {
		t.Fatalf("%d of 3 calls completed: %+v", sm.Completed, sm)
	}
	for _, r := range recs {
		if r.HangupBy != "server" || r.HangupCause != "NORMAL_CLEARING" {
			t.Errorf("call %d: %s %s, hung up by %q: the server's sched_hangup ended it", r.Seq, r.Outcome, r.HangupCause, r.HangupBy)
		}
	}
	return recs
}

// With --server-hangup the server's sched_hangup ends every call: the
// records say server, not switchio (whose own hang-up gives the same
// cause and the same sip_hangup_disposition).
func TestDialServerHangupBy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	emu := startEmulateN(t, bin, 1)
	checkServerHangup(t, bin, emu.esl[0])
}
