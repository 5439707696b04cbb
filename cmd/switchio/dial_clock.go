package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/switchio/switchio/measure"
)

// printServerClocks prints each server's clock resolution and the
// catalogue's latencies taken on server clocks, none finer than their
// clocks: a vanilla FreeSWITCH stamps from a clock advanced once per
// 20 ms tick, so a call's create and answer often carry one time and a
// figure under one tick says only "within one tick":
//
//	server clocks: 127.0.0.1:8021 20 ms tick (98% of 4096 differences on it; 61% of events repeat a time)
//	invite_latency (server clocks): p50 < 20 ms (server clock tick), p99 20 ms, max 40 ms
//	call_setup_latency (server clocks): p50 < 20 ms (server clock tick), p99 20 ms, max 40 ms; switchio's clock (local_setup_latency): p50 2.1 ms, p99 3.4 ms
//
// Where the controller's clock measures the interval too (the set-up, as
// local_setup_latency: originate written to answer seen), its figure
// follows, named with its clock.
func printServerClocks(w io.Writer, m *measure.MetricsSummary) {
	if m == nil {
		return
	}
	if len(m.ClockResolutions) > 0 {
		var parts []string
		for _, s := range slices.Sorted(maps.Keys(m.ClockResolutions)) {
			r := m.ClockResolutions[s]
			p := s + " " + r.String()
			if r.Ms > 0 {
				p += fmt.Sprintf(" (%.0f%% of %d differences on it; %.0f%% of events repeat a time)", 100*r.OnGrid, r.Samples, 100*r.Repeated)
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(w, "server clocks: %s\n", strings.Join(parts, ", "))
	}
	for _, mt := range measure.Catalogue() {
		p, ok := m.Latencies[mt.Name]
		if !mt.Latency || !mt.ServerClock() || mt.Unit != "ms" || !ok || p.Count == 0 {
			continue
		}
		line := fmt.Sprintf("%s (server clocks): p50 %s, p90 %s, p99 %s, max %s", mt.Name,
			showMs(mt, p.P50, m.ClockResolutionMs), showMs(mt, p.P90, m.ClockResolutionMs),
			showMs(mt, p.P99, m.ClockResolutionMs), showMs(mt, p.Max, m.ClockResolutionMs))
		if alt := localAlternative[mt.Name]; alt != "" {
			if _, below, _ := measure.ShowLatency(mt, p.P50, m.ClockResolutionMs); below {
				if q, ok := m.Latencies[alt]; ok && q.Count > 0 {
					line += fmt.Sprintf("; switchio's clock (%s): p50 %.1f ms, p99 %.1f ms", alt, q.P50, q.P99)
				}
			}
		}
		fmt.Fprintln(w, line)
	}
}

// localAlternative names, for a latency on server clocks, the metric the
// controller's own clock takes of the same interval, to quote when the
// server's tick hides it: the set-up (caller_create to caller_answer on
// the server, originate written to answer seen on the controller).
var localAlternative = map[string]string{
	measure.MetricCallSetupLatency: measure.MetricLocalSetupLatency,
}

// showMs renders one latency figure of mt (ms) no finer than the server
// clocks' resolution resMs: "< 20 ms (server clock tick)" below one tick.
func showMs(mt measure.Metric, v, resMs float64) string {
	shown, below, tick := measure.ShowLatency(mt, v, resMs)
	if below {
		return "< " + measure.FormatMs(tick) + " ms (server clock tick)"
	}
	if tick > 0 {
		return measure.FormatMs(shown) + " ms"
	}
	return measure.FormatMs(v) + " ms"
}
