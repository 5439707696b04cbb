package collect_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// The CallRecorder measures each server's timestamp resolution from its events:
// fsemu's default 20 ms tick (a vanilla FreeSWITCH's), 1 ms (1ms-timer)
// and exact stamps. On the 20 ms clock a call's legs are created within
// one tick, so invite_latency's p50 lies below the resolution the
// summary carries beside it.
func TestCallRecorderMeasuresClockResolution(t *testing.T) {
	cases := []struct {
		name string
		tick time.Duration
		want float64 // ms
	}{
		{"vanilla 20 ms", 0, 20},
		{"1ms-timer", time.Millisecond, 1},
		{"exact", fsemu.ExactClock, 0.001},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := dialer.Config{Rate: 50, Limit: 100, MaxOffered: 40, Duration: 200 * time.Millisecond}
			emu := fsemu.Config{ClockTick: tc.tick, Inbound: fsemu.Inbound{Action: "answer"}}
			_, _, ms := loadTest(t, 1, cfg, emu, nil)
			if len(ms.ClockResolutions) != 1 {
				t.Fatalf("resolutions %+v", ms.ClockResolutions)
			}
			for srv, r := range ms.ClockResolutions {
				if r.Ms != tc.want || r.Samples < 16 {
					t.Errorf("%s: %+v, want %v ms", srv, r, tc.want)
				}
				if got := ms.PerServer[srv].ClockResolutionMs; got != tc.want {
					t.Errorf("%s: per-server clock_resolution_ms %v", srv, got)
				}
			}
			if ms.ClockResolutionMs != tc.want {
				t.Errorf("clock_resolution_ms %v, want %v", ms.ClockResolutionMs, tc.want)
			}
			inv := ms.Latencies[measure.MetricInviteLatency]
			m, _ := measure.Lookup(measure.MetricInviteLatency)
			_, below, _ := measure.ShowLatency(m, inv.P50, ms.ClockResolutionMs)
			if tc.want == 20 && (inv.Count == 0 || !below) {
				t.Errorf("invite_latency %+v on a 20 ms clock: p50 not below the tick", inv)
			}
		})
	}
}
