package main

import (
	"strings"
	"testing"

	"github.com/switchio/switchio/measure"
)

// The text summary prints each server's clock and the latencies on
// server clocks no finer than their tick: "< 20 ms (server clock tick)"
// below it, with switchio's own set-up figure and its clock where the
// tick hides the set-up; exact clocks show the figures as measured.
func TestPrintServerClocks(t *testing.T) {
	lat := map[string]measure.Percentiles{
		measure.MetricInviteLatency:     {Count: 10, P50: 0.001, P90: 0.001, P99: 20, Max: 40},
		measure.MetricCallSetupLatency:  {Count: 10, P50: 0.001, P90: 0.001, P99: 20, Max: 20},
		measure.MetricLocalSetupLatency: {Count: 10, P50: 2.5, P99: 4.25},
	}
	cases := []struct {
		name      string
		res       float64
		want, not []string
	}{
		{"20 ms tick", 20, []string{
			"server clocks: 127.0.0.1:8021 20 ms tick (100% of 64 differences on it; 50% of events repeat a time)\n",
			"invite_latency (server clocks): p50 < 20 ms (server clock tick), p90 < 20 ms (server clock tick), p99 20 ms, max 40 ms\n",
			"call_setup_latency (server clocks): p50 < 20 ms (server clock tick), p90 < 20 ms (server clock tick), p99 20 ms, max 20 ms; switchio's clock (local_setup_latency): p50 2.5 ms, p99 4.2 ms\n",
		}, []string{"0.001"}},
		{"exact", 0.001, []string{
			"server clocks: 127.0.0.1:8021 exact (1 µs)",
			"invite_latency (server clocks): p50 0.001 ms, p90 0.001 ms, p99 20 ms, max 40 ms\n",
		}, []string{"clock tick", "switchio's clock"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &measure.MetricsSummary{Figures: measure.Figures{Latencies: lat, ClockResolutionMs: tc.res},
				ClockResolutions: map[string]measure.ClockResolution{"127.0.0.1:8021": {Ms: tc.res, Samples: 64, OnGrid: 1, Repeated: 0.5}}}
			var b strings.Builder
			printServerClocks(&b, m)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("summary lacks %q:\n%s", w, b.String())
				}
			}
			for _, w := range tc.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("summary has %q:\n%s", w, b.String())
				}
			}
		})
	}
	var b strings.Builder
	printServerClocks(&b, nil)
	if b.Len() != 0 {
		t.Errorf("no figures: %q", b.String())
	}
}
