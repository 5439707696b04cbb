package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/internal/uplot"
	"github.com/switchio/switchio/measure"
)

// The chart library (internal/uplot) is inlined in every report so that
// it opens offline.
var uplotJS, uplotCSS = uplot.Library()

//go:embed template.html
var pageTemplate string

var page = template.Must(template.New("report").Parse(pageTemplate))

// kv is one labelled value of the run header.
type kv struct {
	Label, Value string
	// Metric is the catalogue name the value is, if any.
	Metric string
}

// kpi is one tile of the summary's top row.
type kpi struct {
	Metric, Value, Unit, Sub, Formula string
	// Bad marks a value worth a look (failures, drops, saturation).
	Bad bool
}

// countRow is a row of the outcomes and causes tables.
type countRow struct {
	Name, Metric, Count, Share, Formula string
}

// latencyRow is a row of the latency table.
type latencyRow struct {
	Metric, Unit, Clock, Formula    string
	Count, P50, P90, P99, P999, Max string
}

// serverRow is a row of the per-server table.
type serverRow struct {
	Addr, Dest, Offered, Answered, Failed, ASR, SetupP50, SetupP99, PeakActive, PeakBacklog, Saturated, QueuePeak string
	Bad                                                                                                           bool
}

// appRow is a row of the per-app table.
type appRow struct {
	App, Offered, Answered, ASR, SetupP50, SetupP99, MediaFailed string
}

// verdictRow summarises one verdict column of the apps' media checks.
type verdictRow struct {
	Name, Count, True, False, Min, Mean, Max, Nonzero, Values string
	Bad                                                       bool
}

// thresholdRow is one threshold's verdict.
type thresholdRow struct {
	Line string
	Pass bool
}

// chartView is a chart's place on the page.
type chartView struct {
	ID, Title, Note string
	Points          int
	Wide            bool
}

// groupView is a group of charts.
type groupView struct {
	Name   string
	Charts []chartView
}

// view is what the page template reads.
type view struct {
	Title, Subtitle, Version, Generated string
	Header                              []kv
	Alerts                              []string
	KPIs                                []kpi
	Outcomes, Causes                    []countRow
	Latencies                           []latencyRow
	Servers                             []serverRow
	Apps                                []appRow
	Verdicts                            []verdictRow
	Thresholds                          []thresholdRow
	Changes                             []kv
	Groups                              []groupView
	Empty                               []string
	UPlotJS                             template.JS
	UPlotCSS                            template.CSS
	Data                                template.JS
}

// writeHTML renders the model's page to path.
func writeHTML(path string, m *model) error {
	v, err := newView(m)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(v.Data) + len(uplotJS) + 64<<10)
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("rendering %s: %w", File, err)
	}
	return writeFile(path, buf.Bytes())
}

func formula(name string) string {
	if m, ok := measure.Lookup(name); ok {
		return fmt.Sprintf("%s (%s, %s clock): %s", m.Name, m.Unit, m.Clock, m.Formula)
	}
	return ""
}

func pct(r float64) string { return fmtNum(float64(int64(r*10000+0.5))/100) + " %" }

func share(n, of uint64) string {
	if of == 0 {
		return ""
	}
	return pct(float64(n) / float64(of))
}

func count(n uint64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	if d < time.Minute {
		return fmtNum(s) + " s"
	}
	return d.String()
}

// newView lays the model out for the page.
func newView(m *model) (*view, error) {
	v := &view{
		Title:     "switchio report",
		Version:   m.Version,
		Generated: m.Generated.UTC().Format("2006-01-02 15:04:05 UTC"),
		UPlotJS:   template.JS(uplotJS),
		UPlotCSS:  template.CSS(uplotCSS),
	}
	sm := m.Summary
	var f *measure.Figures
	if sm != nil && sm.Metrics != nil {
		f = &sm.Metrics.Figures
	}
	v.header(m, sm)
	v.alerts(m, sm)
	v.verdicts(sm)
	v.kpis(sm, f)
	v.tables(sm, f)
	v.Verdicts = verdictRows(f)
	for _, g := range groups {
		gv := groupView{Name: g}
		for _, c := range m.Charts {
			if c.Group == g {
				gv.Charts = append(gv.Charts, chartView{ID: c.ID, Title: c.Title, Note: c.Note, Points: c.points()})
			}
		}
		if len(gv.Charts) > 0 {
			if len(gv.Charts)%2 == 1 {
				gv.Charts[len(gv.Charts)-1].Wide = true
			}
			v.Groups = append(v.Groups, gv)
		}
	}
	v.Empty = m.Empty
	data, err := json.Marshal(m.Charts)
	if err != nil {
		return nil, fmt.Errorf("encoding the charts: %w", err)
	}
	v.Data = template.JS(data)
	return v, nil
}

func (v *view) header(m *model, sm *summary.Run) {
	add := func(label, value, metric string) {
		if value != "" {
			v.Header = append(v.Header, kv{label, value, metric})
		}
	}
	if !m.Start.IsZero() {
		v.Subtitle = m.Start.UTC().Format("Mon 2 Jan 2006, 15:04:05 UTC")
		add("time series", fmt.Sprintf("%s – %s UTC", m.Start.UTC().Format("15:04:05"), m.End.UTC().Format("15:04:05")), "")
	}
	if sm == nil {
		add("records", count(uint64(m.Records)), "offered")
		return
	}
	if sm.ID != "" {
		v.Title = "switchio report · " + sm.ID
	}
	add("state", sm.State, "")
	add("duration", seconds(sm.DurationS), "")
	var hosts []string
	for _, s := range sm.Servers {
		h := s.Addr
		if s.Dest != "" {
			h += " → " + s.Dest
		}
		hosts = append(hosts, h)
	}
	add("servers", strings.Join(hosts, ", "), "")
	if sm.TargetRate > 0 {
		add("rate", fmtNum(sm.TargetRate)+" calls/s", "call_rate")
	}
	if sm.Limit > 0 {
		add("limit", count(uint64(sm.Limit))+" calls", "active_calls")
	}
	if sm.HoldS > 0 {
		add("hold", seconds(sm.HoldS), "")
	}
	if sm.MaxOffered > 0 {
		add("max offered", count(sm.MaxOffered), "offered")
	}
	var apps []string
	for _, a := range slices.Sorted(maps.Keys(sm.CallsByApp)) {
		apps = append(apps, fmt.Sprintf("%s (%s calls)", a, count(sm.CallsByApp[a])))
	}
	add("apps", strings.Join(apps, ", "), "")
	add("records", count(uint64(m.Records)), "offered")
	if sm.Metrics != nil && sm.Metrics.Warmup != nil {
		add("warm-up", count(sm.Metrics.Warmup.Offered)+" calls offered, left out of the figures", "")
	}
	if sm.Metrics != nil {
		var offs []string
		for _, srv := range slices.Sorted(maps.Keys(sm.Metrics.ClockOffsets)) {
			offs = append(offs, fmt.Sprintf("%s %s ms", srv, fmtNum(sm.Metrics.ClockOffsets[srv].OffsetMs)))
		}
		add("clock offsets", strings.Join(offs, ", "), "")
		var res []string
		for _, srv := range slices.Sorted(maps.Keys(sm.Metrics.ClockResolutions)) {
			res = append(res, srv+" "+sm.Metrics.ClockResolutions[srv].String())
		}
		add("server clocks", strings.Join(res, ", "), "")
	}
}

// latencyCell renders one latency figure of metric m no finer than the
// resolution resMs (ms) of the server clocks it was taken on: "< 20
// (clock tick)" below one tick, where the server stamped both ends of the
// interval alike (a vanilla FreeSWITCH ticks every 20 ms), else the figure
// rounded to the tick's precision.
func latencyCell(m measure.Metric, v, resMs float64) string {
	shown, below, tick := measure.ShowLatency(m, v, resMs)
	if below {
		return "< " + fmtNum(tick) + " (clock tick)"
	}
	return fmtNum(shown)
}

// setupCells renders a group's call_setup_latency p50 and p99 (ms): from
// the server clocks, unless its p50 is under their tick, where switchio's
// own clock measures the set-up better (local_setup_latency: originate
// written to answer seen), named as such; fallback gives the figures when
// the group has neither.
func setupCells(f measure.Figures, fallback func() (string, string)) (string, string) {
	m, _ := measure.Lookup(measure.MetricCallSetupLatency)
	p, ok := f.Latencies[m.Name]
	if !ok || p.Count == 0 {
		return fallback()
	}
	if _, below, _ := measure.ShowLatency(m, p.P50, f.ClockResolutionMs); below {
		if q, ok := f.Latencies[measure.MetricLocalSetupLatency]; ok && q.Count > 0 {
			return fmtNum(q.P50) + " (switchio's clock)", fmtNum(q.P99) + " (switchio's clock)"
		}
	}
	return latencyCell(m, p.P50, f.ClockResolutionMs), latencyCell(m, p.P99, f.ClockResolutionMs)
}

// verdicts lists the thresholds' verdicts and the settings changed while
// the run went.
func (v *view) verdicts(sm *summary.Run) {
	if sm == nil {
		return
	}
	for _, r := range sm.Thresholds {
		v.Thresholds = append(v.Thresholds, thresholdRow{Line: r.String(), Pass: r.Pass})
	}
	for _, c := range sm.Changes {
		v.Changes = append(v.Changes, kv{Label: seconds(c.AtS), Value: c.Setting + " = " + c.Value})
	}
}

func (v *view) alerts(m *model, sm *summary.Run) {
	if !m.Closed {
		v.Alerts = append(v.Alerts, "The run's files were not closed (a killed run): the report reads its sealed parts, which may miss its last seconds.")
	}
	if sm == nil {
		v.Alerts = append(v.Alerts, "The run has no summary.json: the tables are missing, the charts come from the records.")
		return
	}
	v.Alerts = append(v.Alerts, sm.Saturation...)
	if sm.ControllerLimit != "" {
		v.Alerts = append(v.Alerts, sm.ControllerLimit)
	}
	for _, l := range sm.LostServers {
		v.Alerts = append(v.Alerts, fmt.Sprintf("server %s lost %s after the first offer, taking down %d calls (SWITCHIO_SERVER_LOST)", l.Addr, seconds(l.AfterS), l.Calls))
	}
	if sm.AllServersLost {
		v.Alerts = append(v.Alerts, "Every server was lost: the run ended early.")
	}
}

func (v *view) kpis(sm *summary.Run, f *measure.Figures) {
	if sm == nil {
		return
	}
	offered, answered, failed, dropped := sm.Offered, sm.Answered, sm.Failed, sm.Dropped
	if f != nil {
		offered, answered, failed, dropped = f.Offered, f.Answered, f.Failed, f.Dropped
	}
	add := func(k kpi) {
		k.Formula = formula(k.Metric)
		v.KPIs = append(v.KPIs, k)
	}
	add(kpi{Metric: "offered", Value: count(offered), Unit: "calls", Sub: fmt.Sprintf("at %s calls/s", fmtNum(sm.OfferedRate))})
	add(kpi{Metric: "answered", Value: count(answered), Unit: "calls", Sub: "asr " + share(answered, offered)})
	add(kpi{Metric: "failed", Value: count(failed), Unit: "calls", Sub: share(failed, offered) + " of offered", Bad: failed > 0})
	ratio := func(name string) (float64, bool) {
		if f == nil {
			return 0, false
		}
		r, ok := f.Ratios[name]
		return r, ok
	}
	if r, ok := ratio(measure.MetricNER); ok {
		add(kpi{Metric: "ner", Value: pct(r), Sub: "network effectiveness", Bad: r < 0.98})
	}
	if r, ok := ratio(measure.MetricACD); ok {
		add(kpi{Metric: "acd", Value: fmtNum(r), Unit: "s", Sub: "mean answered call length"})
	}
	lat := func(name string) (measure.Percentiles, bool) {
		if f == nil {
			return measure.Percentiles{}, false
		}
		p, ok := f.Latencies[name]
		return p, ok && p.Count > 0
	}
	// Figures on server clocks are no finer than their tick (latencyCell).
	show := func(name string, v float64) string {
		m, _ := measure.Lookup(name)
		return latencyCell(m, v, f.ClockResolutionMs)
	}
	if p, ok := lat(measure.MetricPDD); ok {
		add(kpi{Metric: "pdd", Value: show(measure.MetricPDD, p.P50), Unit: "ms", Sub: "p50; p99 " + show(measure.MetricPDD, p.P99) + " ms"})
	}
	if p, ok := lat(measure.MetricCallSetupLatency); ok {
		k := kpi{Metric: "call_setup_latency", Value: show(measure.MetricCallSetupLatency, p.P50), Unit: "ms",
			Sub: "p50; p99 " + show(measure.MetricCallSetupLatency, p.P99) + " ms, max " + show(measure.MetricCallSetupLatency, p.Max) + " ms"}
		if q, ok := lat(measure.MetricLocalSetupLatency); ok && strings.HasPrefix(k.Value, "<") {
			k.Sub += "; switchio's clock (local_setup_latency): p50 " + fmtNum(q.P50) + " ms"
		}
		add(k)
	}
	k := kpi{Metric: "call_rate", Value: fmtNum(sm.AchievedRate), Unit: "calls/s", Sub: "answered; offered " + fmtNum(sm.OfferedRate)}
	if sm.TargetRate > 0 {
		k.Sub += ", target " + fmtNum(sm.TargetRate)
		k.Bad = sm.OfferedRate < 0.98*sm.TargetRate
	}
	add(k)
	add(kpi{Metric: "active_calls", Value: count(uint64(sm.PeakActive)), Unit: "calls", Sub: "peak"})
	if r, ok := ratio(measure.MetricDropRate); ok {
		add(kpi{Metric: "drop_rate", Value: pct(r), Sub: count(dropped) + " dropped", Bad: dropped > 0})
	}
	if p, ok := lat(measure.MetricHoldError); ok {
		add(kpi{Metric: "hold_error", Value: fmtNum(p.P99), Unit: "ms", Sub: "p99; " + pct(sm.HoldErrorMs.Within50ms) + " within 50 ms", Bad: sm.HoldErrorMs.Short > 0})
	}
	if f != nil && f.MediaChecked > 0 {
		add(kpi{Metric: measure.MetricMediaFailed, Value: count(f.MediaFailed), Unit: "calls",
			Sub: share(f.MediaFailed, f.MediaChecked) + " of " + count(f.MediaChecked) + " checked", Bad: f.MediaFailed > 0})
	}
	if f != nil && f.MediaUnchecked > 0 {
		add(kpi{Metric: measure.MetricMediaUnchecked, Value: count(f.MediaUnchecked), Unit: "calls",
			Sub: f.Verdicts[measure.VerdictUnchecked].ValueCounts()})
	}
	if len(sm.Saturation) > 0 || len(sm.LostServers) > 0 {
		sat := 0
		for _, s := range sm.Servers {
			if s.Saturated {
				sat++
			}
		}
		add(kpi{Metric: "", Value: fmt.Sprint(sat), Unit: "saturated", Sub: fmt.Sprintf("%d server(s) lost", len(sm.LostServers)), Bad: true})
	}
}

func (v *view) tables(sm *summary.Run, f *measure.Figures) {
	if sm == nil {
		return
	}
	fig := measure.Figures{Offered: sm.Offered, Answered: sm.Answered, Failed: sm.Failed, Completed: sm.Completed,
		Dropped: sm.Dropped, Abandoned: sm.Abandoned, FailedByCause: sm.FailedByCause}
	if f != nil {
		fig = *f
	}
	row := func(name string, n, of uint64) countRow {
		return countRow{Name: name, Metric: name, Count: count(n), Share: share(n, of), Formula: formula(name)}
	}
	v.Outcomes = []countRow{
		row("offered", fig.Offered, fig.Offered),
		row("answered", fig.Answered, fig.Offered),
		row("failed", fig.Failed, fig.Offered),
		row("completed", fig.Completed, fig.Answered),
		row("dropped", fig.Dropped, fig.Answered),
		row("abandoned", fig.Abandoned, fig.Answered),
	}
	for _, c := range byCount(fig.FailedByCause) {
		v.Causes = append(v.Causes, countRow{Name: c, Metric: "failed", Count: count(fig.FailedByCause[c]), Share: share(fig.FailedByCause[c], fig.Offered)})
	}
	for _, c := range byCount(sm.DroppedByCause) {
		v.Causes = append(v.Causes, countRow{Name: c, Metric: "dropped", Count: count(sm.DroppedByCause[c]), Share: share(sm.DroppedByCause[c], fig.Offered)})
	}
	for _, m := range measure.Catalogue() {
		p, ok := fig.Latencies[m.Name]
		if !m.Latency || !ok || p.Count == 0 {
			continue
		}
		res := fig.ClockResolutionMs
		clock := m.Clock
		if _, _, tick := measure.ShowLatency(m, 0, res); tick > 0 {
			clock += ", " + measure.FormatMs(res) + " ms tick"
		}
		cell := func(x float64) string { return latencyCell(m, x, res) }
		v.Latencies = append(v.Latencies, latencyRow{Metric: m.Name, Unit: m.Unit, Clock: clock, Formula: m.Formula,
			Count: count(p.Count), P50: cell(p.P50), P90: cell(p.P90), P99: cell(p.P99), P999: cell(p.P999), Max: cell(p.Max)})
	}
	lost := map[string]bool{}
	for _, l := range sm.LostServers {
		lost[l.Addr] = true
	}
	for _, s := range sm.Servers {
		r := serverRow{Addr: s.Addr, Dest: s.Dest, Offered: count(s.Offered), Answered: count(s.Answered), Failed: count(s.Failed),
			ASR: share(s.Answered, s.Offered), SetupP50: "–", SetupP99: "–",
			PeakActive: count(uint64(s.PeakActive)), PeakBacklog: count(uint64(s.PeakBacklog)), QueuePeak: count(uint64(s.ControllerQueuePeak)), Saturated: "no"}
		if s.LocalSetupLatency.Count > 0 {
			// A server that answered nothing has no set-up time (not 0).
			r.SetupP50 = fmtNum(s.LocalSetupLatency.P50) + " (switchio's clock)"
			r.SetupP99 = fmtNum(s.LocalSetupLatency.P99) + " (switchio's clock)"
		}
		if sm.Metrics != nil {
			r.SetupP50, r.SetupP99 = setupCells(sm.Metrics.PerServer[s.Addr], func() (string, string) { return r.SetupP50, r.SetupP99 })
		}
		if s.Saturated {
			r.Saturated, r.Bad = fmt.Sprintf("~%s/s after %s", fmtNum(s.SaturatedAtCPS), seconds(s.SaturatedAfterS)), true
		}
		if lost[s.Addr] {
			r.Saturated, r.Bad = strings.TrimPrefix(r.Saturated+"; lost", "no; "), true
		}
		v.Servers = append(v.Servers, r)
	}
	if sm.Metrics != nil {
		for _, a := range slices.Sorted(maps.Keys(sm.Metrics.PerApp)) {
			af := sm.Metrics.PerApp[a]
			r := appRow{App: a, Offered: count(af.Offered), Answered: count(af.Answered), ASR: share(af.Answered, af.Offered), SetupP50: "–", SetupP99: "–", MediaFailed: "–"}
			if af.MediaChecked > 0 {
				r.MediaFailed = count(af.MediaFailed) + " of " + count(af.MediaChecked)
			}
			r.SetupP50, r.SetupP99 = setupCells(af, func() (string, string) { return r.SetupP50, r.SetupP99 })
			v.Apps = append(v.Apps, r)
		}
	}
}

// verdictRows lists the verdict columns: bools with their true and
// false counts, numbers with their range.
func verdictRows(f *measure.Figures) []verdictRow {
	if f == nil {
		return nil
	}
	var rows []verdictRow
	for _, name := range slices.Sorted(maps.Keys(f.Verdicts)) {
		vf := f.Verdicts[name]
		r := verdictRow{Name: name, Count: count(vf.Count), True: "–", False: "–", Min: "–", Mean: "–", Max: "–", Nonzero: "–"}
		if vf.True+vf.False == vf.Count && vf.Count > 0 {
			r.True, r.False = count(vf.True), count(vf.False)
			r.Bad = vf.False > 0 && strings.HasSuffix(name, "_ok")
		} else if len(vf.Values) > 0 {
			r.Values = vf.ValueCounts()
		} else if vf.Sum != 0 || vf.Nonzero > 0 || vf.Min != 0 || vf.Max != 0 {
			r.Min, r.Mean, r.Max, r.Nonzero = fmtNum(vf.Min), fmtNum(vf.Mean), fmtNum(vf.Max), count(vf.Nonzero)
		}
		rows = append(rows, r)
	}
	return rows
}

// byCount is m's keys by decreasing count, then name.
func byCount(m map[string]uint64) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
}
