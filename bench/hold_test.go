package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer"
)

// BenchmarkDialerHoldAtSaturation measures how exactly calls are held
// when the server is past its capacity, in both hang-up modes: the
// controller's uuid_kill at answer + hold (the default; the server's
// sched_hangup only guards) and the server's own sched_hangup. The
// emulated server's capacity model (one server, 2 cores, 23 ms per
// call's set-up) manages about 65 calls/s (67 measured with switchio's
// hang-up, 71 with the server's, whose calls are held shorter) and, as a
// saturated FreeSWITCH does, queues set-ups behind its
// CPU backlog while commands on a connection time-share the CPU with
// them; the dialer offers 90. It reports the hold error (the A leg's
// billmsec minus the hold) p50 / p99 / max and the set-up p99. Run it
// with
//
//	cd bench && go test -run '^$' -bench HoldAtSaturation -benchtime 1x .
func BenchmarkDialerHoldAtSaturation(b *testing.B) {
	const (
		rate = 90
		secs = 20
		hold = 2 * time.Second
	)
	for _, mode := range []struct {
		name   string
		server bool
	}{{"controller", false}, {"server", true}} {
		for _, load := range []struct {
			name string
			rate float64
		}{{"below", 40}, {"saturated", rate}} {
			b.Run(fmt.Sprintf("hangup=%s/load=%s", mode.name, load.name), func(b *testing.B) {
				e := startEmulator(b, 1, "--cores", "2", "--setup-cost", "23ms")
				n := uint64(load.rate * secs)
				o, pool := benchDialer(b, e, dialer.Config{Rate: load.rate, Limit: 5000, MaxOffered: n, Duration: hold,
					ServerHangup: mode.server}, false)
				defer pool.Close()
				defer o.Close()
				if err := o.Start(); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				if err := o.Wait(ctx); err != nil {
					b.Fatalf("wait: %v", err)
				}
				sm := o.Summary()
				h := sm.HoldErrorMs
				b.ReportMetric(h.P50, "hold_err_p50_ms")
				b.ReportMetric(h.P99, "hold_err_p99_ms")
				b.ReportMetric(h.Max, "hold_err_max_ms")
				b.ReportMetric(100*h.Within50ms, "within_50ms_%")
				b.ReportMetric(sm.LocalSetupLatency.P99, "setup_p99_ms")
				b.ReportMetric(sm.AchievedRate, "achieved_cps")
				b.Logf("%s hang-up, offered %.0f cps: %d completed, achieved %.1f cps, hold error p50 %.0f p99 %.0f max %.0f ms, %.1f%% within 50 ms, set-up p99 %.0f ms, saturation %v",
					mode.name, load.rate, sm.Completed, sm.AchievedRate, h.P50, h.P99, h.Max, 100*h.Within50ms, sm.LocalSetupLatency.P99, sm.Saturation)
			})
		}
	}
}
