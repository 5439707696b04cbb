package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/switchio/switchio/measure"
)

// One set-up figure, one name and one value: the console's
// local_setup_latency lines, summary.json (top level, per server, its
// metrics, and the deprecated setup_ms) and the thresholds on it (by its
// name and by the deprecated one) agree, with a warm-up that the
// catalogue leaves out.
func TestSetupLatencyOneNameOneValue(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs subprocesses")
	}
	bin := buildSwitchio(t)
	emu := startEmulateN(t, bin, 1)
	dir := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "dial", "--max-offered", "40", "--rate", "40", "--duration", "0.5s", "--warmup", "0.3s",
		"--threshold", "p99(local_setup_latency)<10000ms", "--threshold", "p50(setup_ms)<10000ms", "--out", dir, emu.esl[0])
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dial: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	find := func(re string) []string {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no line matching %q in:\n%s", re, out)
		}
		return m[1:]
	}
	overall := find(`(?m)^local_setup_latency: p50 ([0-9.]+) ms, p90 ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms`)
	server := find(`(?m)^server .*local_setup_latency p50 ([0-9.]+) ms p99 ([0-9.]+) ms`)
	p99Threshold := find(`(?m)✓ p99\(local_setup_latency\)<10000ms  \(([0-9.]+) ms\)`)
	p50Threshold := find(`(?m)✓ p50\(local_setup_latency\)<10000ms  \(([0-9.]+) ms\)`)

	sm, _ := readRun(t, dir)
	if sm.Metrics == nil || sm.Metrics.Warmup == nil || sm.Metrics.Warmup.Answered == 0 {
		t.Fatalf("no warm-up calls in the run's metrics: %+v", sm.Metrics)
	}
	cat := sm.Metrics.Latencies[measure.MetricLocalSetupLatency]
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	num := func(s string) string {
		var v float64
		fmt.Sscan(s, &v)
		return f(v)
	}
	for _, c := range []struct{ what, got, want string }{
		{"console p50", overall[0], f(cat.P50)},
		{"console p90", overall[1], f(cat.P90)},
		{"console p99", overall[2], f(cat.P99)},
		{"console max", overall[3], f(cat.Max)},
		{"summary.json local_setup_latency p99", f(sm.LocalSetupLatency.P99), f(cat.P99)},
		{"summary.json setup_ms p99 (deprecated)", f(sm.SetupMs.P99), f(cat.P99)},
		{"threshold p99(local_setup_latency)", num(p99Threshold[0]), f(cat.P99)},
		{"threshold p50(setup_ms)", num(p50Threshold[0]), f(cat.P50)},
		{"console server p50", server[0], f(sm.Metrics.PerServer[emu.esl[0]].Latencies[measure.MetricLocalSetupLatency].P50)},
		{"summary.json server p99", f(sm.Servers[0].LocalSetupLatency.P99), f(sm.Metrics.PerServer[emu.esl[0]].Latencies[measure.MetricLocalSetupLatency].P99)},
		{"console server p99", server[1], f(sm.Servers[0].LocalSetupLatency.P99)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s (metrics.latencies.local_setup_latency)", c.what, c.got, c.want)
		}
	}
	if sm.LocalSetupLatency.Count != cat.Count || sm.LocalSetupLatency.Count == 0 {
		t.Errorf("summary.json local_setup_latency count %d, metrics %d", sm.LocalSetupLatency.Count, cat.Count)
	}
}
