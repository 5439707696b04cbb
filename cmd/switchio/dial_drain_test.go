package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
)

// TestDialDrainRinging runs dial against an emulated far end that rings
// longer than twice the hold plus 5 s (the drain's old default).
func TestDialDrainRinging(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	emu := startEmulateN(t, bin, 1)

	t.Run("default drain waits for ringing calls", func(t *testing.T) {
		// Held 0.2 s, the calls ring 6 s: a drain of twice the hold plus
		// 5 s failed them all as SWITCHIO_DRAIN_TIMEOUT.
		dir := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command(bin, "dial", emu.esl[0], "--dest", "ring6000", "--rate", "10", "--max-offered", "3",
			"--duration", "0.2s", "--out", dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dial: %v\n%s", err, out)
		}
		sm, recs := readRun(t, dir)
		if sm.Completed != 3 || sm.Failed != 0 {
			t.Fatalf("far end ringing 6 s, 0.2 s holds: %d completed, failed %v", sm.Completed, sm.FailedByCause)
		}
		for _, r := range recs {
			if r.LocalAnswer.Sub(r.JobLaunch) < 5*time.Second {
				t.Errorf("call %d answered %v after its offer: the far end did not ring", r.Seq, r.LocalAnswer.Sub(r.JobLaunch))
			}
		}
	})

	t.Run("the drain's note agrees with the counts", func(t *testing.T) {
		// --drain 1 s cuts the ringing calls: failed, not abandoned.
		dir := filepath.Join(t.TempDir(), "out")
		cmd := exec.Command(bin, "dial", emu.esl[0], "--dest", "ring6000", "--rate", "10", "--max-offered", "3",
			"--duration", "0.2s", "--drain", "1s", "--out", dir)
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != exitRunFailed {
			t.Fatalf("exit code %d, want %d (none answered)\n%s", code, exitRunFailed, out)
		}
		sm, _ := readRun(t, dir)
		if sm.Failed != 3 || sm.FailedByCause[dialer.CauseDrainTimeout] != 3 || sm.Abandoned != 0 {
			t.Fatalf("after the drain: %+v", sm)
		}
		want := fmt.Sprintf("hung up 0 answered calls (abandoned) and %d calls still in set-up (failed), under %s",
			sm.FailedByCause[dialer.CauseDrainTimeout], dialer.CauseDrainTimeout)
		if !strings.Contains(string(out), want) {
			t.Fatalf("output does not say %q:\n%s", want, out)
		}
	})
}
