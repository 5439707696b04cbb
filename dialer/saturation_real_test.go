package dialer_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS) with the far ends
// of docs/far-end-dialplan.md: a far end that rings 2 s (ring2000), or
// the mix of busy, rejected and ringing ones, at 10 calls/s (a sixth of
// what the server here sets up) is not saturation; 90 calls/s held 2 s,
// past its ~65, is.
func TestRealSaturation(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	addr := real.Addrs[0]
	for _, tc := range []struct {
		dest      string
		rate      float64
		calls     int
		saturated bool
	}{
		{"ring2000", 10, 60, false},
		{"mix", 10, 60, false},
		{"answer0", 90, 900, true},
	} {
		t.Run(tc.dest, func(t *testing.T) {
			r := *real
			r.Dests = map[string]string{addr: tc.dest + "@127.0.0.1:5080"}
			res := dialtest.Run(t, dialtest.Options{Real: &r, Spec: "TonePlay", Calls: tc.calls, Rate: tc.rate, Limit: 5000,
				Hold: 2 * time.Second, Timeout: 3 * time.Minute})
			sm := res.Summary
			s := sm.Servers[0]
			t.Logf("%s at %.0f/s: answered %d, failed %v; set-up p50 %.0f ms; originate to A leg p50 %.1f p90 %.1f p99 %.1f ms; queued %d, backlog %d; %v",
				tc.dest, tc.rate, sm.Answered, sm.FailedByCause, sm.LocalSetupLatency.P50, s.CreateMs.P50, s.CreateMs.P90, s.CreateMs.P99,
				s.PeakQueued, s.PeakBacklog, sm.Saturation)
			if s.Saturated != tc.saturated {
				t.Errorf("saturated %v, want %v (%v)", s.Saturated, tc.saturated, sm.Saturation)
			}
		})
	}
}
