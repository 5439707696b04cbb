package dialer_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// The saturation rule holds on a server whose clock ticks as a vanilla
// FreeSWITCH's does (every 20 ms: a call's create, originate and answer
// often carry one time), because it times only on the controller's clock
// (originate written -> A leg CHANNEL_CREATE received), never on the
// server's stamps: a server past its capacity is still found saturated,
// a far end ringing for 2 s still is not. The servers' own stamps are
// checked to lie on a 20 ms grid, so the run really had the tick.
func TestSaturationWithServerClockTick(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rate      float64
		calls     uint64
		in        fsemu.Inbound
		capacity  *fsemu.Capacity
		saturated bool
	}{
		{"ringing 2 s", 30, 150, fsemu.Inbound{RingTime: 2 * time.Second, Action: "answer"}, nil, false},
		{"ringing, past capacity", 100, 300, fsemu.Inbound{RingTime: time.Second, Action: "answer"},
			&fsemu.Capacity{Cores: 1, SetupCost: 25 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := fsemu.Config{ClockTick: 20 * time.Millisecond, Inbound: tc.in, Capacity: tc.capacity}
			cl := fsemu.RunClusterT(t, 1, emu)
			if tick := cl.Servers[0].ClockTick(); tick != 20*time.Millisecond {
				t.Fatalf("server clock tick %v", tick)
			}
			pool := newPool(t, cl)
			var mu sync.Mutex
			var stamps []int64
			pool.Clients()[0].Observe(func(e *cluster.Event) {
				if e.Key == "CHANNEL_CREATE" || e.Key == "CHANNEL_ANSWER" {
					mu.Lock()
					stamps = append(stamps, e.Timestamp().UnixMicro())
					mu.Unlock()
				}
			})
			ctx := ctxT(t, 10*time.Second)
			o, err := dialer.New(ctx, pool, dialer.Config{Rate: tc.rate, Limit: 2000, MaxOffered: tc.calls, Duration: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { o.Close() })
			if err := o.Setup(ctx, dialer.Settings{}); err != nil {
				t.Fatal(err)
			}
			if _, err := o.LoadSpec(ctx, nil, "TonePlay", 1); err != nil {
				t.Fatal(err)
			}
			sm := run(t, o)
			s := sm.Servers[0]
			t.Logf("answered %d, set-up p50 %.0f ms, originate to A leg p50 %.1f p99 %.1f ms, queued %d; %v",
				sm.Answered, sm.SetupMs.P50, s.CreateMs.P50, s.CreateMs.P99, s.PeakQueued, sm.Saturation)
			if sm.Answered != tc.calls {
				t.Fatalf("answered %d of %d (%v)", sm.Answered, tc.calls, sm.FailedByCause)
			}
			if s.Saturated != tc.saturated || (len(sm.Saturation) > 0) != tc.saturated {
				t.Fatalf("saturated %v (%v), want %v", s.Saturated, sm.Saturation, tc.saturated)
			}
			if tc.saturated && !strings.Contains(sm.Saturation[0], "queued before their A leg") {
				t.Errorf("message %q", sm.Saturation[0])
			}
			// On the controller's clock the originate-to-A-leg time of a
			// server below capacity stays a few ms, finer than the tick.
			if !tc.saturated && s.CreateMs.P99 > 100 {
				t.Errorf("originate to A leg p99 %.1f ms on a server below capacity", s.CreateMs.P99)
			}

			mu.Lock()
			defer mu.Unlock()
			var diffs []int64
			repeated := 0
			for i := 1; i < len(stamps); i++ {
				d := stamps[i] - stamps[i-1]
				if d < 0 {
					d = -d
				}
				if d == 0 {
					repeated++
					continue
				}
				diffs = append(diffs, d)
			}
			if us, share := measure.EstimateResolution(diffs); us != 20000 || share < 0.99 {
				t.Errorf("server stamps on a %v µs grid (%.0f%% on it), want 20000", us, 100*share)
			}
			if repeated == 0 {
				t.Errorf("no two of %d events stamped alike on a 20 ms clock", len(stamps))
			}
		})
	}
}
