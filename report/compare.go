package report

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchio/switchio/internal/version"
	"github.com/switchio/switchio/measure"
)

// The comparison page: its own layout, the single-run page's styles and
// chart script.
var (
	//go:embed compare.html
	compareTemplate string

	comparePage = template.Must(template.Must(page.Clone()).New("compare").Parse(compareTemplate))
)

// xSince is the axis kind of overlaid time charts: seconds since each
// run's first offer.
const xSince = "since"

// Directions of a summary figure: whether a higher value is better, a
// lower one, or neither (it follows the load asked for).
const (
	lowerBetter  = -1
	neutral      = 0
	higherBetter = 1
)

// compared is one run of a comparison.
type compared struct {
	Label, Dir string
	m          *model
	// origin is the unix second of the run's first offer: its time
	// charts are drawn from there.
	origin float64
}

// Compare reads the runs in dirs (closed or killed, see store.Load) and
// writes out/report.html, one page that overlays them: the runs side by
// side, their summary figures with the differences of each against the
// first run (the baseline), and the charts with every run's series on a
// shared axis (time charts in seconds since each run's first offer).
// Unless opts.NoPNG it also writes the overlaid charts as PNGs in
// out/plots/. Each run is labelled by its directory's base name (by its
// summary id, or a number, when two base names are the same).
//
// out is created if need be; the files Compare writes there are
// replaced, others left alone (the caller decides whether a non-empty
// out will do). out may not be one of the runs' directories. It returns
// the HTML file's path.
func Compare(dirs []string, out string, opts Options) (string, error) {
	if len(dirs) == 0 {
		return "", errors.New("report: no run to compare")
	}
	opts = defaults(opts)
	absOut, err := filepath.Abs(out)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	runs := make([]*compared, len(dirs))
	for i, dir := range dirs {
		if abs, err := filepath.Abs(dir); err == nil && abs == absOut {
			return "", fmt.Errorf("report: %s is a run compared, write the comparison elsewhere", out)
		}
		run, err := loadRun(dir)
		if err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		m, err := collect(run, opts)
		if err != nil {
			return "", fmt.Errorf("report: %s: %w", dir, err)
		}
		runs[i] = &compared{Dir: dir, m: m, origin: firstOffer(m)}
	}
	label(runs)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	charts, withData := overlay(runs)
	v, err := newCompareView(runs, charts, withData, opts)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(v.Data) + len(uplotJS) + 64<<10)
	if err := comparePage.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("report: rendering %s: %w", File, err)
	}
	path := filepath.Join(out, File)
	if err := writeFile(path, buf.Bytes()); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if !opts.NoPNG {
		if err := writePNGs(filepath.Join(out, PlotsDir), charts); err != nil {
			return path, fmt.Errorf("report: %w", err)
		}
	}
	return path, nil
}

// defaults fills opts' zero fields (Build, Compare).
func defaults(opts Options) Options {
	if opts.MaxPoints == 0 {
		opts.MaxPoints = DefaultMaxPoints
	}
	opts.MaxPoints = max(opts.MaxPoints, 16)
	if opts.Version == "" {
		opts.Version = version.String()
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	return opts
}

// firstOffer is the unix second of the run's first offer: the first
// second of its call_rate chart with calls offered, else the start of
// its time series, else its first time chart's first second.
func firstOffer(m *model) float64 {
	for _, c := range m.Charts {
		if c.ID != "call_rate" {
			continue
		}
		for _, s := range c.Series {
			if s.Label != "offered" {
				continue
			}
			for i, v := range s.Values {
				if v > 0 {
					return c.Xs[i]
				}
			}
		}
	}
	if !m.Start.IsZero() {
		return float64(m.Start.Unix())
	}
	for _, c := range m.Charts {
		if c.X == xTime && len(c.Xs) > 0 {
			return c.Xs[0]
		}
	}
	return 0
}

// label names each run by its directory's base name; when two are the
// same, by its summary id, and failing that by its place.
func label(runs []*compared) {
	unique := func() bool {
		seen := map[string]bool{}
		for _, r := range runs {
			if seen[r.Label] {
				return false
			}
			seen[r.Label] = true
		}
		return true
	}
	for _, r := range runs {
		r.Label = filepath.Base(filepath.Clean(r.Dir))
	}
	if unique() {
		return
	}
	for _, r := range runs {
		if r.m.Summary != nil && r.m.Summary.ID != "" {
			r.Label = r.m.Summary.ID
		}
	}
	if unique() {
		return
	}
	for i, r := range runs {
		r.Label = fmt.Sprintf("%s (%d)", r.Label, i+1)
	}
}

// overlay builds the comparison's charts: each chart of the runs (but
// the histogram, whose bins differ from run to run) with every run's
// series (min and max bands left out) on the union of the runs' x
// values, time shifted to seconds since each run's first offer. A run's
// values between two of its own points are interpolated, as its line
// would be drawn; outside its span, or next to a gap, they are gaps.
// It also returns, by chart, the number of runs with data in it.
func overlay(runs []*compared) ([]*chart, map[string]int) {
	var ids []string
	byID := map[string][]*chart{} // id -> run -> chart (nil: none)
	for i, r := range runs {
		for _, c := range r.m.Charts {
			if c.Bars {
				continue
			}
			if byID[c.ID] == nil {
				ids = append(ids, c.ID)
				byID[c.ID] = make([]*chart, len(runs))
			}
			byID[c.ID][i] = c
		}
	}
	withData := map[string]int{}
	var out []*chart
	for _, id := range ids {
		per := byID[id]
		var first *chart
		multi := false
		var grid []float64
		for i, c := range per {
			if c == nil {
				continue
			}
			if first == nil {
				first = c
			}
			n := 0
			for _, s := range c.Series {
				if !s.Faint {
					n++
				}
			}
			multi = multi || n > 1
			for _, x := range c.Xs {
				grid = append(grid, x-shift(c, runs[i]))
			}
		}
		slices.Sort(grid)
		grid = slices.Compact(grid)
		oc := &chart{ID: id, Group: first.Group, Title: first.Title, X: first.X, XLabel: first.XLabel, YLabel: first.YLabel, Xs: grid,
			Note: first.Note + " Runs overlaid"}
		if first.X == xTime {
			oc.X, oc.XLabel = xSince, "seconds since the first offer"
			oc.Note += " from each run's first offer"
		}
		oc.Note += "."
		if multi {
			oc.Note += " The first run's lines are solid, the others' dashed."
		}
		for i, c := range per {
			if c == nil {
				continue
			}
			xs := make([]float64, len(c.Xs))
			for k, x := range c.Xs {
				xs[k] = x - shift(c, runs[i])
			}
			has := false
			for _, s := range c.Series {
				if s.Faint {
					continue
				}
				ns := series{Label: runs[i].Label, Color: colour(i), Values: resample(xs, s.Values, grid), Dash: s.Dash}
				if multi {
					ns.Label += " · " + s.Label
					ns.Color, ns.Dash = s.Color, s.Dash || i > 0
				}
				has = has || ns.Values.count() > 0
				oc.Series = append(oc.Series, ns)
			}
			if has {
				withData[id]++
			}
		}
		if oc.points() > 0 {
			out = append(out, oc)
		}
	}
	slices.SortStableFunc(out, func(a, b *chart) int {
		return slices.Index(groups, a.Group) - slices.Index(groups, b.Group)
	})
	return out, withData
}

// shift is what to take from the chart's x values to put the run on the
// comparison's axis.
func shift(c *chart, r *compared) float64 {
	if c.X == xTime {
		return r.origin
	}
	return 0
}

// resample gives the series (xs, ys), xs ascending, at each x of grid:
// its own value where it has one, linearly interpolated between two of
// its values, a gap (NaN) elsewhere.
func resample(xs, ys, grid []float64) nums {
	out := make(nums, len(grid))
	k := 0
	for i, x := range grid {
		out[i] = math.NaN()
		if len(xs) == 0 || x < xs[0] || x > xs[len(xs)-1] {
			continue
		}
		for k+1 < len(xs) && xs[k+1] <= x {
			k++
		}
		if xs[k] == x {
			out[i] = ys[k]
			continue
		}
		a, b := ys[k], ys[k+1]
		if math.IsNaN(a) || math.IsNaN(b) {
			continue
		}
		out[i] = a + (x-xs[k])/(xs[k+1]-xs[k])*(b-a)
	}
	return out
}

// runRow is one run in the comparison's table of runs.
type runRow struct {
	Label, Dir, ID, Start, Duration, Rate, State, Records string
}

// deltaCell is one run's difference from the baseline.
type deltaCell struct {
	Abs, Rel string
	// Class is "better", "worse" or "".
	Class string
}

// diffRow is one summary figure of every run.
type diffRow struct {
	Metric, Stat, Formula string
	Values                []string
	Deltas                []deltaCell
}

// compareChartView is a chart's place on the comparison page.
type compareChartView struct {
	chartView
	// Runs is the number of runs with data in the chart.
	Runs int
}

// compareGroupView is a group of charts of the comparison page.
type compareGroupView struct {
	Name   string
	Charts []compareChartView
}

// compareView is what the comparison page's template reads.
type compareView struct {
	Title, Version, Generated string
	Labels                    []string // every run
	Against                   []string // every run but the baseline
	Runs                      []runRow
	Alerts                    []string
	Rows                      []diffRow
	Groups                    []compareGroupView
	Empty                     []string
	UPlotJS                   template.JS
	UPlotCSS                  template.CSS
	Data                      template.JS
}

// figure is one summary figure of the comparison.
type figure struct {
	metric, stat string
	dir          int
	// kind formats it: "count", "ratio" (shown in %, differences in
	// percentage points), "ms", "rate" (calls/s), "s".
	kind string
	get  func(m *model) (float64, bool)
}

// figures lists the summary figures compared, in table order.
func figures() []figure {
	figs := func(m *model) *measure.Figures {
		if m.Summary == nil || m.Summary.Metrics == nil {
			return nil
		}
		return &m.Summary.Metrics.Figures
	}
	countOf := func(pick func(f *measure.Figures) uint64, fallback func(m *model) uint64) func(*model) (float64, bool) {
		return func(m *model) (float64, bool) {
			if f := figs(m); f != nil {
				return float64(pick(f)), true
			}
			if m.Summary == nil {
				return 0, false
			}
			return float64(fallback(m)), true
		}
	}
	ratio := func(name string) func(*model) (float64, bool) {
		return func(m *model) (float64, bool) {
			f := figs(m)
			if f == nil {
				return 0, false
			}
			r, ok := f.Ratios[name]
			return r, ok
		}
	}
	summary := func(get func(m *model) float64) func(*model) (float64, bool) {
		return func(m *model) (float64, bool) {
			if m.Summary == nil {
				return 0, false
			}
			return get(m), true
		}
	}
	out := []figure{
		{measure.MetricOffered, "", neutral, "count", countOf(func(f *measure.Figures) uint64 { return f.Offered }, func(m *model) uint64 { return m.Summary.Offered })},
		{measure.MetricAnswered, "", neutral, "count", countOf(func(f *measure.Figures) uint64 { return f.Answered }, func(m *model) uint64 { return m.Summary.Answered })},
		{measure.MetricFailed, "", lowerBetter, "count", countOf(func(f *measure.Figures) uint64 { return f.Failed }, func(m *model) uint64 { return m.Summary.Failed })},
		{measure.MetricDropped, "", lowerBetter, "count", countOf(func(f *measure.Figures) uint64 { return f.Dropped }, func(m *model) uint64 { return m.Summary.Dropped })},
		{measure.MetricASR, "", higherBetter, "ratio", func(m *model) (float64, bool) {
			if r, ok := ratio(measure.MetricASR)(m); ok {
				return r, true
			}
			if m.Summary == nil || m.Summary.Offered == 0 {
				return 0, false
			}
			return float64(m.Summary.Answered) / float64(m.Summary.Offered), true
		}},
		{measure.MetricNER, "", higherBetter, "ratio", ratio(measure.MetricNER)},
		{measure.MetricDropRate, "", lowerBetter, "ratio", ratio(measure.MetricDropRate)},
		{measure.MetricSeizureFailRate, "", lowerBetter, "ratio", ratio(measure.MetricSeizureFailRate)},
		{measure.MetricACD, "", neutral, "s", ratio(measure.MetricACD)},
		{measure.MetricCallRate, "offered", neutral, "rate", summary(func(m *model) float64 { return m.Summary.OfferedRate })},
		{measure.MetricCallRate, "answered", higherBetter, "rate", summary(func(m *model) float64 { return m.Summary.AchievedRate })},
		{measure.MetricActiveCalls, "peak", neutral, "count", summary(func(m *model) float64 { return float64(m.Summary.PeakActive) })},
	}
	for _, c := range measure.Catalogue() {
		if !c.Latency {
			continue
		}
		for _, st := range []struct {
			name string
			get  func(p measure.Percentiles) float64
		}{
			{"p50", func(p measure.Percentiles) float64 { return p.P50 }},
			{"p99", func(p measure.Percentiles) float64 { return p.P99 }},
			{"max", func(p measure.Percentiles) float64 { return p.Max }},
		} {
			dir := lowerBetter
			if c.Name == measure.MetricCallDuration {
				dir = neutral // the hold asked for
			}
			out = append(out, figure{c.Name, st.name, dir, "ms", func(m *model) (float64, bool) {
				f := figs(m)
				if f == nil {
					return 0, false
				}
				p, ok := f.Latencies[c.Name]
				if !ok || p.Count == 0 {
					return 0, false
				}
				return st.get(p), true
			}})
		}
	}
	return out
}

// format shows a figure's value.
func (f figure) format(v float64) string {
	switch f.kind {
	case "count":
		return count(uint64(math.Max(v, 0)))
	case "ratio":
		return pct(v)
	case "ms":
		return fmtNum(v) + " ms"
	case "rate":
		return fmtNum(v) + " calls/s"
	default:
		return fmtNum(v) + " s"
	}
}

// delta is v's difference from the baseline b.
func (f figure) delta(v, b float64) deltaCell {
	d := v - b
	sign := func(x float64) string {
		if x > 0 {
			return "+"
		}
		return ""
	}
	var c deltaCell
	switch f.kind {
	case "ratio":
		c.Abs = sign(d) + fmtNum(math.Round(d*10000)/100) + " pp"
	case "count":
		c.Abs = sign(d) + count(uint64(math.Abs(d)))
		if d < 0 {
			c.Abs = "-" + c.Abs
		}
	default:
		c.Abs = sign(d) + f.format(d)
	}
	c.Abs = strings.Replace(c.Abs, "-", "−", 1)
	if b != 0 {
		r := d / math.Abs(b) * 100
		c.Rel = strings.Replace(sign(r)+fmtNum(r)+" %", "-", "−", 1)
	} else {
		c.Rel = "–"
	}
	if d != 0 {
		switch {
		case f.dir == neutral:
		case (d > 0) == (f.dir == higherBetter):
			c.Class = "better"
		default:
			c.Class = "worse"
		}
	}
	return c
}

// newCompareView lays the comparison out for the page.
func newCompareView(runs []*compared, charts []*chart, withData map[string]int, opts Options) (*compareView, error) {
	v := &compareView{
		Title:     "switchio comparison",
		Version:   opts.Version,
		Generated: opts.Now.UTC().Format("2006-01-02 15:04:05 UTC"),
		UPlotJS:   template.JS(uplotJS),
		UPlotCSS:  template.CSS(uplotCSS),
	}
	for i, r := range runs {
		v.Labels = append(v.Labels, r.Label)
		if i > 0 {
			v.Against = append(v.Against, r.Label)
		}
		m, sm := r.m, r.m.Summary
		row := runRow{Label: r.Label, Dir: r.Dir, Records: count(uint64(m.Records))}
		if r.origin > 0 {
			row.Start = unixUTC(r.origin)
		}
		if sm != nil {
			row.ID, row.State, row.Duration = sm.ID, sm.State, seconds(sm.DurationS)
			if sm.TargetRate > 0 {
				row.Rate = fmtNum(sm.TargetRate) + " calls/s"
			}
		}
		v.Runs = append(v.Runs, row)
		if !m.Closed {
			v.Alerts = append(v.Alerts, r.Label+": the run's files were not closed (a killed run): its last seconds may be missing.")
		}
		if sm == nil {
			v.Alerts = append(v.Alerts, r.Label+": the run has no summary.json: its summary figures are missing.")
		}
	}
	for _, f := range figures() {
		row := diffRow{Metric: f.metric, Stat: f.stat, Formula: formula(f.metric)}
		base, baseOK := f.get(runs[0].m)
		have := false
		for i, r := range runs {
			val, ok := f.get(r.m)
			have = have || ok
			cell := "–"
			if ok {
				cell = f.format(val)
			}
			row.Values = append(row.Values, cell)
			if i == 0 {
				continue
			}
			d := deltaCell{Abs: "–", Rel: "–"}
			if ok && baseOK {
				d = f.delta(val, base)
			}
			row.Deltas = append(row.Deltas, d)
		}
		if have {
			v.Rows = append(v.Rows, row)
		}
	}
	for _, g := range groups {
		gv := compareGroupView{Name: g}
		for _, c := range charts {
			if c.Group == g {
				gv.Charts = append(gv.Charts, compareChartView{chartView{ID: c.ID, Title: c.Title, Note: c.Note, Points: c.points()}, withData[c.ID]})
			}
		}
		if len(gv.Charts) > 0 {
			if len(gv.Charts)%2 == 1 {
				gv.Charts[len(gv.Charts)-1].Wide = true
			}
			v.Groups = append(v.Groups, gv)
		}
	}
	empty := map[string]bool{}
	for _, r := range runs {
		for _, e := range r.m.Empty {
			if !empty[e] {
				empty[e] = true
				v.Empty = append(v.Empty, e)
			}
		}
	}
	data, err := json.Marshal(charts)
	if err != nil {
		return nil, fmt.Errorf("encoding the charts: %w", err)
	}
	v.Data = template.JS(data)
	return v, nil
}

// unixUTC formats a unix second.
func unixUTC(s float64) string {
	return time.Unix(int64(s), 0).UTC().Format("2006-01-02 15:04:05 UTC")
}
