package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/measure"
)

func printSummary(w io.Writer, sm summary.Run, out string) {
	fmt.Fprintf(w, "switchio dial: %d offered, %d answered, %d failed in %.2f s\n", sm.Offered, sm.Answered, sm.Failed, sm.DurationS)
	fmt.Fprintf(w, "answered: %d completed, %d dropped, %d abandoned\n", sm.Completed, sm.Dropped, sm.Abandoned)
	if h := sm.HoldErrorMs; h.Count > 0 {
		fmt.Fprintf(w, "hold error: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %.2f%% within 50 ms, %d short\n",
			h.P50, h.P99, h.Max, 100*h.Within50ms, h.Short)
	}
	fmt.Fprintf(w, "rate: %s, offered %.2f cps, achieved %.2f cps; peak active %d (limit %d), hold %.1f s\n",
		targetText(sm), sm.OfferedRate, sm.AchievedRate, sm.PeakActive, sm.Limit, sm.HoldS)
	fmt.Fprintf(w, "traffic: %s arrivals, holds %s; seed %d (--seed %d repeats them)\n", sm.Arrivals, sm.HoldDist, sm.Seed, sm.Seed)
	if l := sm.LocalSetupLatency; l.Count > 0 {
		fmt.Fprintf(w, "%s: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (switchio's clock: originate written to answer seen)\n",
			measure.MetricLocalSetupLatency, l.P50, l.P90, l.P99, l.Max)
	}
	for _, c := range summary.SortedCauses(sm.FailedByCause) {
		fmt.Fprintf(w, "failed: %s %d\n", c, sm.FailedByCause[c])
	}
	for _, c := range summary.SortedCauses(sm.DroppedByCause) {
		fmt.Fprintf(w, "dropped: %s %d\n", c, sm.DroppedByCause[c])
	}
	for _, s := range sm.Servers {
		fmt.Fprintf(w, "server %s -> %s: %d offered, %d answered, %d failed, peak active %d, peak backlog %d (%d queued on the server), local_setup_latency p50 %s p99 %s, originate to A leg p99 %s\n",
			s.Addr, s.Dest, s.Offered, s.Answered, s.Failed, s.PeakActive, s.PeakBacklog, s.PeakQueued,
			msOrNA(s.LocalSetupLatency, s.LocalSetupLatency.P50), msOrNA(s.LocalSetupLatency, s.LocalSetupLatency.P99), msOrNA(s.CreateMs, s.CreateMs.P99))
		for _, c := range summary.SortedCauses(s.FailedByCause) {
			fmt.Fprintf(w, "  failed: %s %d\n", c, s.FailedByCause[c])
		}
	}
	printServerClocks(w, sm.Metrics)
	printVerdicts(w, sm.Metrics)
	if len(sm.Thresholds) > 0 {
		fmt.Fprint(w, "thresholds:\n", sm.Thresholds)
	}
	for _, l := range sm.LostServers {
		fmt.Fprintf(w, "lost: server %s unreachable from %.1f s, %d calls recorded under %s\n", l.Addr, l.AfterS, l.Calls, dialer.CauseServerLost)
	}
	for _, l := range sm.Saturation {
		fmt.Fprintln(w, "saturation:", l)
	}
	if sm.ControllerLimit != "" {
		fmt.Fprintln(w, "controller:", sm.ControllerLimit)
	}
	if out != "" {
		fmt.Fprintf(w, "measurements: %s (cdr.parquet, timeseries.parquet, sysstats.parquet, calls.csv, summary.json)\n", out)
	}
}

// msOrNA formats v, a percentile of l, in milliseconds, or "n/a" when l
// measured nothing (no call answered): 0.0 ms would read as instant.
func msOrNA(l summary.Latency, v float64) string {
	if l.Count == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", v)
}

// targetText describes the rate asked for: "target 50.00 cps", or for a
// load profile its stages and peak ("stages 0s:10 30s:10 10s:0, peak
// 10.00 cps"), with the target set by hand when one took the profile
// over.
func targetText(sm summary.Run) string {
	if len(sm.Stages) == 0 {
		return fmt.Sprintf("target %.2f cps", sm.TargetRate)
	}
	peak := 0.0
	for _, s := range sm.Stages {
		if st, err := dialer.ParseStage(s); err == nil {
			peak = max(peak, st.Rate)
		}
	}
	t := fmt.Sprintf("stages %s, peak %.2f cps", strings.Join(sm.Stages, " "), peak)
	for _, c := range sm.Changes {
		if c.Setting == "stages" && strings.HasPrefix(c.Value, "abandoned") {
			t += fmt.Sprintf(", then target %.2f cps (profile %s at %.1f s)", sm.TargetRate, c.Value, c.AtS)
		}
	}
	return t
}

// printVerdicts prints the media checks and the apps' verdict columns of
// a run's figures, one line each:
//
//	media: 200 checked, 3 failed (1.50%)
//	verdict dtmf_ok: 197 true, 3 false
//	verdict dtmf_missing: 200 calls, sum 3, max 1, 3 nonzero
func printVerdicts(w io.Writer, m *measure.MetricsSummary) {
	if m == nil || len(m.Verdicts) == 0 {
		return
	}
	if m.MediaChecked > 0 {
		fmt.Fprintf(w, "media: %d checked, %d failed (%.2f%%)\n", m.MediaChecked, m.MediaFailed,
			100*float64(m.MediaFailed)/float64(m.MediaChecked))
	}
	if m.MediaUnchecked > 0 {
		fmt.Fprintf(w, "media not checked: %d (%s)\n", m.MediaUnchecked, m.Verdicts[measure.VerdictUnchecked].ValueCounts())
	}
	names := make([]string, 0, len(m.Verdicts))
	for k := range m.Verdicts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == measure.VerdictUnchecked {
			continue // on the "media not checked" line
		}
		v := m.Verdicts[k]
		switch {
		case v.True+v.False == v.Count:
			fmt.Fprintf(w, "verdict %s: %d true, %d false\n", k, v.True, v.False)
		case len(v.Values) > 0:
			fmt.Fprintf(w, "verdict %s: %s\n", k, v.ValueCounts())
		case v.Sum != 0 || v.Nonzero > 0 || v.Max != 0 || v.Min != 0:
			fmt.Fprintf(w, "verdict %s: %d calls, sum %s, min %s, mean %s, max %s, %d nonzero\n", k, v.Count,
				num(v.Sum), num(v.Min), num(v.Mean), num(v.Max), v.Nonzero)
		default:
			fmt.Fprintf(w, "verdict %s: %d calls\n", k, v.Count)
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
