package main

import (
	"strings"
	"testing"

	"github.com/switchio/switchio/measure/summary"
)

// A server that answered nothing has no set-up time: the summary says
// n/a, never 0.0 ms, which would read as instant.
func TestSummaryServerSetup(t *testing.T) {
	for _, tc := range []struct {
		name          string
		setup, create summary.Latency
		want          string
	}{
		{"every call failed", summary.Latency{}, summary.Latency{}, "local_setup_latency p50 n/a p99 n/a, originate to A leg p99 n/a"},
		{"refused at once", summary.Latency{}, summary.Latency{Count: 3, P99: 1.5}, "local_setup_latency p50 n/a p99 n/a, originate to A leg p99 1.5 ms"},
		{"answered", summary.Latency{Count: 3, P50: 48.25, P99: 50}, summary.Latency{Count: 3, P99: 24.1},
			"local_setup_latency p50 48.2 ms p99 50.0 ms, originate to A leg p99 24.1 ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sm := summary.Run{Offered: 3, Servers: []summary.Server{{Addr: "127.0.0.1:8021", Dest: "ring10000@127.0.0.1:5080",
				Offered: 3, LocalSetupLatency: tc.setup, CreateMs: tc.create}}}
			var b strings.Builder
			printSummary(&b, sm, "")
			if !strings.Contains(b.String(), tc.want) {
				t.Fatalf("summary does not say %q:\n%s", tc.want, b.String())
			}
		})
	}
}
