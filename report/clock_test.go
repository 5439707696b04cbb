package report

import (
	"strings"
	"testing"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/measure"
)

// clockSummary is a run on a server ticking every 20 ms (or, with res
// 0.001, stamping exact times): its server-side latencies mostly within
// one tick, switchio's own set-up figure finer.
func clockSummary(res float64) *summary.Run {
	const srv = "127.0.0.1:8021"
	f := measure.Figures{Offered: 10, Answered: 10, ClockResolutionMs: res, Latencies: map[string]measure.Percentiles{
		measure.MetricInviteLatency:     {Count: 10, P50: 0.001, P90: 0.001, P99: 20, P999: 20, Max: 40.02},
		measure.MetricCallSetupLatency:  {Count: 10, P50: 0.001, P90: 0.001, P99: 20, P999: 20, Max: 20},
		measure.MetricLocalSetupLatency: {Count: 10, P50: 2.5, P90: 3, P99: 4.25, P999: 4.25, Max: 4.25},
	}}
	ms := &measure.MetricsSummary{Figures: f, PerServer: map[string]measure.Figures{srv: f}, PerApp: map[string]measure.Figures{"TonePlay": f},
		ClockResolutions: map[string]measure.ClockResolution{srv: {Ms: res, Samples: 100, OnGrid: 1}}}
	return &summary.Run{Offered: 10, Answered: 10, Servers: []summary.Server{{Addr: srv, Offered: 10, Answered: 10}}, Metrics: ms}
}

// The report never shows a latency on server clocks finer than their
// tick: below it "< 20 (clock tick)", above it whole ms; the set-up where
// the tick hides it comes from switchio's clock, named as such; the
// header lists each server's clock. With exact server clocks the figures
// are shown as measured.
func TestReportClockResolution(t *testing.T) {
	cases := []struct {
		name            string
		res             float64
		invite, setup   [2]string // p50, max of the latency table
		serverSetup     [2]string // servers table p50, p99
		header, setupKP string
	}{
		{"20 ms tick", 20, [2]string{"< 20 (clock tick)", "40"}, [2]string{"< 20 (clock tick)", "20"},
			[2]string{"2.5 (switchio's clock)", "4.25 (switchio's clock)"}, "127.0.0.1:8021 20 ms tick", "< 20 (clock tick)"},
		{"exact", 0.001, [2]string{"0.001", fmtNum(40.02)}, [2]string{"0.001", "20"},
			[2]string{"0.001", "20"}, "127.0.0.1:8021 exact (1 µs)", "0.001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := newView(&model{Summary: clockSummary(tc.res), Closed: true})
			if err != nil {
				t.Fatal(err)
			}
			rows := map[string]latencyRow{}
			for _, r := range v.Latencies {
				rows[r.Metric] = r
			}
			if r := rows[measure.MetricInviteLatency]; r.P50 != tc.invite[0] || r.Max != tc.invite[1] {
				t.Errorf("invite_latency p50 %q max %q, want %q", r.P50, r.Max, tc.invite)
			}
			if r := rows[measure.MetricCallSetupLatency]; r.P50 != tc.setup[0] || r.Max != tc.setup[1] {
				t.Errorf("call_setup_latency p50 %q max %q, want %q", r.P50, r.Max, tc.setup)
			}
			if r := rows[measure.MetricLocalSetupLatency]; r.P50 != "2.5" {
				t.Errorf("local_setup_latency p50 %q: switchio's clock is shown as measured", r.P50)
			}
			if tc.res == 20 && !strings.Contains(rows[measure.MetricInviteLatency].Clock, "20 ms tick") {
				t.Errorf("invite_latency clock %q", rows[measure.MetricInviteLatency].Clock)
			}
			if s := v.Servers[0]; s.SetupP50 != tc.serverSetup[0] || s.SetupP99 != tc.serverSetup[1] {
				t.Errorf("servers table set-up %q %q, want %q", s.SetupP50, s.SetupP99, tc.serverSetup)
			}
			if a := v.Apps[0]; a.SetupP50 != tc.serverSetup[0] {
				t.Errorf("apps table set-up %q, want %q", a.SetupP50, tc.serverSetup[0])
			}
			var header string
			for _, h := range v.Header {
				if h.Label == "server clocks" {
					header = h.Value
				}
			}
			if header != tc.header {
				t.Errorf("header server clocks %q, want %q", header, tc.header)
			}
			for _, k := range v.KPIs {
				if k.Metric == measure.MetricCallSetupLatency && k.Value != tc.setupKP {
					t.Errorf("call_setup_latency KPI %q, want %q", k.Value, tc.setupKP)
				}
			}
		})
	}
}

// A server that answered nothing has no set-up time: the servers table
// says so ("–", as elsewhere in the report), not 0.
func TestReportServerSetupNone(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    summary.Latency
		p50, p99 string
	}{
		{"nothing answered", summary.Latency{}, "–", "–"},
		{"answered", summary.Latency{Count: 4, P50: 12.5, P99: 30}, fmtNum(12.5) + " (switchio's clock)", fmtNum(30) + " (switchio's clock)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := &summary.Run{Offered: 4, Servers: []summary.Server{{Addr: "127.0.0.1:8021", Offered: 4, LocalSetupLatency: tc.setup}}}
			v, err := newView(&model{Summary: sm, Closed: true})
			if err != nil {
				t.Fatal(err)
			}
			if s := v.Servers[0]; s.SetupP50 != tc.p50 || s.SetupP99 != tc.p99 {
				t.Fatalf("servers table set-up %q %q, want %q %q", s.SetupP50, s.SetupP99, tc.p50, tc.p99)
			}
		})
	}
}
