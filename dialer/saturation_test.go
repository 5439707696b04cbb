package dialer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
)

// A far end slow to answer holds calls in set-up, not on the server, on a
// server clock ticking every 20 ms as a vanilla FreeSWITCH's does: a
// run below the server's capacity is never saturated, however long the
// far end rings or plays early media, while a server past its capacity
// still is when its far end also rings (its originates wait before their
// A leg, as a real FreeSWITCH's do: fsemu/originate.go).
func TestSaturationIsTheServers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rate      float64
		calls     uint64
		emu       fsemu.Config
		saturated bool
	}{
		{"ringing 2 s", 30, 150, fsemu.Config{Inbound: fsemu.Inbound{RingTime: 2 * time.Second, Action: "answer"}}, false},
		{"early media 1.5 s", 30, 150, fsemu.Config{Inbound: fsemu.Inbound{EarlyMedia: 1500 * time.Millisecond, Action: "answer"}}, false},
		{"ringing, within capacity", 15, 75, fsemu.Config{Inbound: fsemu.Inbound{RingTime: 2 * time.Second, Action: "answer"},
			Capacity: &fsemu.Capacity{Cores: 1, SetupCost: 25 * time.Millisecond}}, false},
		{"ringing, past capacity", 100, 300, fsemu.Config{Inbound: fsemu.Inbound{RingTime: time.Second, Action: "answer"},
			Capacity: &fsemu.Capacity{Cores: 1, SetupCost: 25 * time.Millisecond}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, cl := newDialer(t, 1, dialer.Config{Rate: tc.rate, Limit: 2000, MaxOffered: tc.calls, Duration: time.Second}, tc.emu, true)
			// fsemu stamps on FreeSWITCH's 20 ms tick by default (a call's
			// create, originate and answer often one time): the rule times
			// on the controller's clock only, so it holds there too.
			if tick := cl.Servers[0].ClockTick(); tick != fsemu.DefaultClockTick {
				t.Fatalf("server clock tick %v, want the default %v", tick, fsemu.DefaultClockTick)
			}
			sm := run(t, o)
			s := sm.Servers[0]
			t.Logf("answered %d, set-up p50 %.0f ms, originate to A leg p50 %.1f p99 %.1f ms, backlog %d, queued %d; %v",
				sm.Answered, sm.LocalSetupLatency.P50, s.CreateMs.P50, s.CreateMs.P99, s.PeakBacklog, s.PeakQueued, sm.Saturation)
			if sm.Answered != tc.calls {
				t.Fatalf("answered %d of %d (%v)", sm.Answered, tc.calls, sm.FailedByCause)
			}
			if s.Saturated != tc.saturated || (len(sm.Saturation) > 0) != tc.saturated {
				t.Fatalf("saturated %v (%v), want %v", s.Saturated, sm.Saturation, tc.saturated)
			}
			if tc.saturated && !strings.Contains(sm.Saturation[0], "queued before their A leg") {
				t.Errorf("message %q", sm.Saturation[0])
			}
			if !tc.saturated && s.CreateMs.P99 > 100 {
				t.Errorf("originate to A leg p99 %.1f ms on a server below capacity", s.CreateMs.P99)
			}
		})
	}
}
