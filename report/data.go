package report

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/store"
)

// model is everything the report shows.
type model struct {
	Version   string
	Generated time.Time
	// Summary is summary.json (nil when the run has none: killed before
	// it was written).
	Summary *summary.Run
	// Closed tells whether the run's files were closed (false: read from
	// a killed run's parts).
	Closed bool
	// Start and End span the time series (zero without one).
	Start, End time.Time
	// Records is the number of call records read.
	Records int64
	Charts  []*chart
	// Empty names the charts left out for want of data.
	Empty []string
}

// Groups of charts, in page order.
const (
	groupTraffic  = "Traffic"
	groupLatency  = "Latency"
	groupFailures = "Failures"
	groupServers  = "Servers"
	groupSystem   = "System"
)

var groups = []string{groupTraffic, groupFailures, groupLatency, groupServers, groupSystem}

// Metrics kept per call over the call index, in indexBuckets order.
const (
	ixSetup = iota // call_setup_latency
	ixInvite
	ixAnswer
	ixOriginate
	ixActive
	ixErlangs
	ixFailed
	ixCount
)

// serverSecond is one server's calls answered in one second.
type serverSecond struct {
	answered int64
	setupSum float64 // call_setup_latency, ms
	setupN   int64
}

// collector reads a run once and keeps bounded aggregates.
type collector struct {
	opts    Options
	sum     *summary.Run
	seconds []measure.Second
	offsets map[string]measure.ClockOffset

	records   int64
	warmupEnd time.Time
	byIndex   *indexBuckets
	setupHist *hdrhistogram.Histogram // call_setup_latency, µs
	perServer map[string]map[int64]*serverSecond

	sysTicks map[int64]bool
	sys      map[string]map[int64]measure.SysStat // source -> tick -> row
}

// newCollector returns an empty collector.
func newCollector(opts Options) *collector {
	return &collector{
		opts:      opts,
		byIndex:   newIndexBuckets(ixCount, opts.MaxPoints),
		setupHist: hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3),
		perServer: map[string]map[int64]*serverSecond{},
		sysTicks:  map[int64]bool{},
		sys:       map[string]map[int64]measure.SysStat{},
	}
}

// collect streams the run's files into the report's model.
func collect(run *store.Run, opts Options) (*model, error) {
	c := newCollector(opts)
	return collectWith(run, c, func() error { return c.readCalls(run) })
}

// collectWith fills c from the run, its call records by readCalls (once
// the summary's clock offsets are known), and makes the model.
func collectWith(run *store.Run, c *collector, readCalls func() error) (*model, error) {
	opts := c.opts
	var sum summary.Run
	switch err := run.Summary(&sum); {
	case err == nil:
		c.sum = &sum
		if sum.Metrics != nil {
			c.offsets = sum.Metrics.ClockOffsets
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	for s, err := range run.Seconds() {
		if err != nil {
			return nil, err
		}
		c.seconds = append(c.seconds, s)
	}
	if err := readCalls(); err != nil {
		return nil, err
	}
	for s, err := range run.SysStats() {
		if err != nil {
			return nil, err
		}
		c.sysStat(&s)
	}
	m := &model{Version: opts.Version, Generated: opts.Now, Summary: c.sum, Closed: run.Closed, Records: c.records}
	if n := len(c.seconds); n > 0 {
		m.Start, m.End = c.seconds[0].Second, c.seconds[n-1].Second.Add(time.Second)
	}
	for _, ch := range c.charts() {
		if ch.points() == 0 {
			m.Empty = append(m.Empty, ch.Title)
			continue
		}
		m.Charts = append(m.Charts, ch)
	}
	return m, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sysStat adds one system statistics row.
func (c *collector) sysStat(s *measure.SysStat) {
	t := s.Time.Unix()
	c.sysTicks[t] = true
	bySrc := c.sys[s.Source]
	if bySrc == nil {
		bySrc = map[int64]measure.SysStat{}
		c.sys[s.Source] = bySrc
	}
	bySrc[t] = *s
}

// charts builds every chart from what was collected, in page order.
func (c *collector) charts() []*chart {
	var out []*chart
	out = append(out, c.timeCharts()...)
	out = append(out, c.indexCharts()...)
	if h := c.histogram(); h != nil {
		out = append(out, h)
	}
	out = append(out, c.serverCharts()...)
	out = append(out, c.sysCharts()...)
	slices.SortStableFunc(out, func(a, b *chart) int {
		return cmp.Compare(slices.Index(groups, a.Group), slices.Index(groups, b.Group))
	})
	return out
}

// timeChart reduces per-second columns to a chart.
func (c *collector) timeChart(id, group, title, ylabel, note string, xs []float64, cols [][]float64, ss []series) *chart {
	x, ys := minMax(xs, cols, c.opts.MaxPoints)
	for i := range ss {
		ss[i].Values = ys[i]
		if ss[i].Color == "" {
			ss[i].Color = colour(i)
		}
	}
	return &chart{ID: id, Group: group, Title: title, Note: note, X: xTime, XLabel: "time (UTC)", YLabel: ylabel, Xs: x, Series: ss}
}

func ptrOr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// timeCharts are the charts of timeseries.parquet.
func (c *collector) timeCharts() []*chart {
	xs := make([]float64, len(c.seconds))
	for i, s := range c.seconds {
		xs[i] = float64(s.Second.Unix())
	}
	col := c.perSecond
	rateCols, rate := c.rateSeries(xs)
	out := []*chart{
		c.timeChart("call_rate", groupTraffic, "Call rate", "calls/s",
			"call_rate: calls offered per second (target: the rate asked for while offering), and calls answered per second.",
			xs, rateCols, rate),
		c.timeChart("active_calls", groupTraffic, "Active calls and erlangs", "calls",
			"active_calls: offered and not yet ended at the end of each second; erlangs: answered call-seconds carried in each second.",
			xs, [][]float64{col(func(s *measure.Second) float64 { return float64(s.Active) }), col(func(s *measure.Second) float64 { return s.Erlangs })},
			[]series{{Label: "active_calls"}, {Label: "erlangs"}}),
		c.timeChart("outcomes", groupTraffic, "Calls ended per second, by outcome", "calls/s",
			"Calls ended in each second by outcome (docs/outcomes.md): completed, dropped, abandoned, failed.",
			xs, [][]float64{
				col(func(s *measure.Second) float64 { return float64(s.Completed) }),
				col(func(s *measure.Second) float64 { return float64(s.Dropped) }),
				col(func(s *measure.Second) float64 { return float64(s.Abandoned) }),
				col(func(s *measure.Second) float64 { return float64(s.Failed) }),
			},
			[]series{{Label: "completed", Color: palette[4]}, {Label: "dropped", Color: palette[1]}, {Label: "abandoned", Color: palette[6]}, {Label: "failed", Color: palette[2]}}),
		c.timeChart("local_setup_latency", groupLatency, "Set-up latency per second", "ms",
			"local_setup_latency (originate written to answer seen, local clock) of the calls answered in each second: p50, p90, p99 and max.",
			xs, [][]float64{
				col(func(s *measure.Second) float64 { return ptrOr(s.SetupP50Ms) }),
				col(func(s *measure.Second) float64 { return ptrOr(s.SetupP90Ms) }),
				col(func(s *measure.Second) float64 { return ptrOr(s.SetupP99Ms) }),
				col(func(s *measure.Second) float64 { return ptrOr(s.SetupMaxMs) }),
			},
			[]series{{Label: "p50"}, {Label: "p90"}, {Label: "p99"}, {Label: "max", Color: "#bab0ac"}}),
		c.failureChart(xs),
	}
	if ch := c.mediaChart(xs); ch != nil {
		out = append(out, ch)
	}
	return out
}

// perSecond is one value of each second of the time series, in order: a
// chart column.
func (c *collector) perSecond(f func(*measure.Second) float64) []float64 {
	out := make([]float64, len(c.seconds))
	for i := range c.seconds {
		out[i] = f(&c.seconds[i])
	}
	return out
}

// rateSeries are the call rate chart's columns and series: the target
// rate (when the run asked for one), calls offered and calls answered
// per second.
func (c *collector) rateSeries(xs []float64) ([][]float64, []series) {
	offered := c.perSecond(func(s *measure.Second) float64 { return float64(s.Offered) })
	answered := c.perSecond(func(s *measure.Second) float64 { return float64(s.Answered) })
	target := c.targetRate(xs)
	rate := []series{{Label: "target"}, {Label: "offered"}, {Label: "answered"}}
	rate[0].Color, rate[0].Dash = "#888888", true
	cols := [][]float64{target, offered, answered}
	if target == nil {
		rate, cols = rate[1:], cols[1:]
	}
	for i := range rate {
		if rate[i].Color == "" {
			rate[i].Color = colour(i)
		}
	}
	return cols, rate
}

// targetRate is the rate asked for at each second (xs) while offering,
// NaN elsewhere; nil when there is no target to draw (no summary, no
// offer, or no rate asked for).
func (c *collector) targetRate(xs []float64) []float64 {
	target := make([]float64, len(c.seconds))
	first, last := -1, -1
	for i, s := range c.seconds {
		target[i] = math.NaN()
		if s.Offered > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if c.sum == nil || first < 0 || c.sum.TargetRate <= 0 && targetOverTime(c.sum) == nil {
		return nil
	}
	// Offering lasted (offered-1)/offered_rate seconds from the first
	// offer (late records may put offers in later seconds).
	if c.sum.OfferedRate > 0 && c.sum.Offered > 1 {
		span := int(math.Ceil(float64(c.sum.Offered-1) / c.sum.OfferedRate))
		last = min(first+span, len(c.seconds)-1)
	}
	if tf := targetOverTime(c.sum); tf != nil {
		// The rate asked for at each second, from the start rate and
		// the change log: rate changes, stages (ramps) and their end.
		// The rate at each second's middle, measured from the first
		// offer's second (the log's times are from the first offer).
		x0 := xs[first]
		for i := range target {
			target[i] = tf(xs[i] - x0 + 0.5)
		}
	} else {
		for i := first; i <= last; i++ {
			target[i] = c.sum.TargetRate
		}
	}
	return target
}

// failureChart is failed calls per second by hang-up cause: the
// commonest causes, the rest as "other" (all failed calls in one series
// when none failed).
func (c *collector) failureChart(xs []float64) *chart {
	totals := map[string]int64{}
	for _, s := range c.seconds {
		for k, v := range s.FailedByCause {
			totals[k] += v
		}
	}
	causes := slices.SortedFunc(maps.Keys(totals), func(a, b string) int {
		return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b))
	})
	const topCauses = 7
	other := len(causes) > topCauses
	if other {
		causes = causes[:topCauses]
	}
	var fcols [][]float64
	var fser []series
	for i, k := range causes {
		fcols = append(fcols, c.perSecond(func(s *measure.Second) float64 { return float64(s.FailedByCause[k]) }))
		fser = append(fser, series{Label: k, Color: colour(i + 1)})
	}
	if other {
		fcols = append(fcols, c.perSecond(func(s *measure.Second) float64 {
			var n int64
			for k, v := range s.FailedByCause {
				if !slices.Contains(causes, k) {
					n += v
				}
			}
			return float64(n)
		}))
		fser = append(fser, series{Label: "other", Color: "#bab0ac"})
	}
	if len(fser) == 0 {
		fcols, fser = [][]float64{c.perSecond(func(s *measure.Second) float64 { return float64(s.Failed) })}, []series{{Label: "failed"}}
	}
	return c.timeChart("failed_by_cause", groupFailures, "Failures by cause per second", "calls/s",
		"failed: calls that ended in each second without an answer, by hang-up cause (the commonest causes; the rest as other).",
		xs, fcols, fser)
}

// mediaChart is the calls with a media check, and those failing it, per
// second; nil when no call had one.
func (c *collector) mediaChart(xs []float64) *chart {
	var checked int64
	for _, s := range c.seconds {
		checked += s.MediaChecked
	}
	if checked == 0 {
		return nil
	}
	return c.timeChart("media_checks", groupFailures, "Media checks per second", "calls/s",
		"media_checked: calls ended in each second with an app's media check (DTMF, audio, bert); media_failed: those failing it.",
		xs, [][]float64{
			c.perSecond(func(s *measure.Second) float64 { return float64(s.MediaChecked) }),
			c.perSecond(func(s *measure.Second) float64 { return float64(s.MediaFailed) }),
		},
		[]series{{Label: "media_checked", Color: palette[4]}, {Label: "media_failed", Color: palette[2]}})
}

// indexCharts are the per-call charts over the call index (the original
// switchio's plots).
func (c *collector) indexCharts() []*chart {
	ib := c.byIndex
	if len(ib.b) == 0 {
		return nil
	}
	xs := ib.xs()
	lo, mean, hi := ib.series(ixSetup)
	label := "call index"
	if ib.width > 1 {
		label = fmt.Sprintf("call index (buckets of %d calls)", ib.width)
	}
	lat := &chart{ID: "latency_by_call", Group: groupLatency, Title: "Latencies over the call index", X: xIndex, XLabel: label, YLabel: "ms",
		Note: "call_setup_latency per call (mean, with min and max per bucket shaded), and the means of invite_latency, answer_latency and originate_latency.",
		Xs:   xs, Series: []series{
			{Label: "call_setup_latency min", Color: "#a0cbe8", Values: lo, Faint: true},
			{Label: "call_setup_latency max", Color: "#a0cbe8", Values: hi, Faint: true},
			{Label: "call_setup_latency", Color: palette[0], Values: mean},
		}, Bands: [][2]int{{1, 0}}}
	if ib.width == 1 {
		lat.Series, lat.Bands = lat.Series[2:], nil
		lat.Note = "call_setup_latency, invite_latency, answer_latency and originate_latency of each call."
	}
	for i, m := range []struct {
		ix   int
		name string
	}{{ixInvite, measure.MetricInviteLatency}, {ixAnswer, measure.MetricAnswerLatency}, {ixOriginate, measure.MetricOriginateLatency}} {
		_, v, _ := ib.series(m.ix)
		lat.Series = append(lat.Series, series{Label: m.name, Color: colour(i + 1), Values: v})
	}
	_, active, _ := ib.series(ixActive)
	_, erl, _ := ib.series(ixErlangs)
	_, _, failed := ib.series(ixFailed)
	load := &chart{ID: "load_by_call", Group: groupTraffic, Title: "Load over the call index", X: xIndex, XLabel: label, YLabel: "calls",
		Note: "The calls up when each call was created (active_sessions) and erlangs, by call index; and the failed calls so far when each call ended (failed_calls), by the order calls ended (the n-th call to end).",
		Xs:   xs, Series: []series{
			{Label: "active_sessions", Color: palette[0], Values: active},
			{Label: "erlangs", Color: palette[1], Values: erl},
			{Label: "failed_calls (by calls ended)", Color: palette[2], Values: failed},
		}}
	return []*chart{lat, load}
}

// histogram is the distribution of call_setup_latency, in about 60 bins
// from the smallest value to the 99.9th percentile (the last bin holds
// every call above).
func (c *collector) histogram() *chart {
	h := c.setupHist
	if h.TotalCount() == 0 {
		return nil
	}
	lo, hi := float64(h.Min())/1000, float64(h.ValueAtQuantile(99.9))/1000
	width := niceStep((hi - lo) / 60)
	start := math.Floor(lo/width) * width
	nbins := max(int(math.Ceil((hi-start)/width)), 1) + 1
	xs := make([]float64, nbins)
	counts := make([]float64, nbins)
	for i := range xs {
		xs[i] = start + float64(i)*width
	}
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		v := float64(b.From+b.To) / 2 / 1000
		i := min(max(int((v-start)/width), 0), nbins-1)
		counts[i] += float64(b.Count)
	}
	return &chart{ID: "setup_histogram", Group: groupLatency, Title: "Set-up latency histogram", X: xMs, XLabel: "call_setup_latency (ms)", YLabel: "calls",
		Note: fmt.Sprintf("call_setup_latency (answer - create on the caller's clock) of %d answered calls, in bins of %s ms; the last bin holds every call from %s ms (p99.9) up.",
			h.TotalCount(), fmtNum(width), fmtNum(xs[nbins-1])),
		Bars: true, Xs: xs, Series: []series{{Label: "calls", Color: palette[0], Values: counts}}}
}

// niceStep rounds a step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// secondsGrid is every second from the first to the last of the time
// series and of extra.
func (c *collector) secondsGrid(extra func(yield func(int64))) []int64 {
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	see := func(s int64) { first, last = min(first, s), max(last, s) }
	for _, s := range c.seconds {
		see(s.Second.Unix())
	}
	extra(see)
	if first > last {
		return nil
	}
	out := make([]int64, 0, last-first+1)
	for s := first; s <= last; s++ {
		out = append(out, s)
	}
	return out
}

// serverCharts are the per-server charts of the call records.
func (c *collector) serverCharts() []*chart {
	servers := slices.Sorted(maps.Keys(c.perServer))
	grid := c.secondsGrid(func(see func(int64)) {
		for _, byS := range c.perServer {
			for s := range byS {
				see(s)
			}
		}
	})
	xs := make([]float64, len(grid))
	for i, s := range grid {
		xs[i] = float64(s)
	}
	var ans, setup [][]float64
	var ser []series
	for i, srv := range servers {
		a, l := make([]float64, len(grid)), make([]float64, len(grid))
		for j, s := range grid {
			l[j] = math.NaN()
			if ss := c.perServer[srv][s]; ss != nil {
				a[j] = float64(ss.answered)
				if ss.setupN > 0 {
					l[j] = ss.setupSum / float64(ss.setupN)
				}
			}
		}
		ans, setup = append(ans, a), append(setup, l)
		ser = append(ser, series{Label: srv, Color: colour(i)})
	}
	return []*chart{
		c.timeChart("answered_by_server", groupServers, "Answered per second, by server", "calls/s",
			"answered: calls whose A leg was answered in each second (as seen by the controller), by the server holding the A leg.",
			xs, ans, slices.Clone(ser)),
		c.timeChart("setup_by_server", groupServers, "Set-up latency per second, by server", "ms",
			"call_setup_latency: mean over the calls each server answered in each second.",
			xs, setup, slices.Clone(ser)),
	}
}

// sysCharts are the charts of sysstats.parquet.
func (c *collector) sysCharts() []*chart {
	ticks := slices.Sorted(maps.Keys(c.sysTicks))
	xs := make([]float64, len(ticks))
	for i, t := range ticks {
		xs[i] = float64(t)
	}
	col := func(src string, f func(*measure.SysStat) float64) []float64 {
		out := make([]float64, len(ticks))
		for i, t := range ticks {
			out[i] = math.NaN()
			if s, ok := c.sys[src][t]; ok {
				out[i] = f(&s)
			}
		}
		return out
	}
	servers := slices.Sorted(maps.Keys(c.sys))
	servers = slices.DeleteFunc(servers, func(s string) bool { return s == measure.SourceController })
	var cpu, sess, reply [][]float64
	var ser []series
	for i, srv := range servers {
		cpu = append(cpu, col(srv, func(s *measure.SysStat) float64 {
			if s.IdleCPUPct == nil {
				return math.NaN()
			}
			return 100 - *s.IdleCPUPct
		}))
		sess = append(sess, col(srv, func(s *measure.SysStat) float64 {
			if s.Sessions == nil {
				return math.NaN()
			}
			return float64(*s.Sessions)
		}))
		reply = append(reply, col(srv, func(s *measure.SysStat) float64 { return ptrOr(s.ReplyMs) }))
		ser = append(ser, series{Label: srv, Color: colour(i)})
	}
	ctl := measure.SourceController
	return []*chart{
		c.timeChart("controller_cpu", groupSystem, "Controller CPU", "%",
			"The controller host's busy CPU, all cores together (cpu_pct: 100 − idle − iowait), and switchio's own process (proc_cpu_pct: 100 per core kept busy).",
			xs, [][]float64{col(ctl, func(s *measure.SysStat) float64 { return ptrOr(s.CPUPct) }), col(ctl, func(s *measure.SysStat) float64 { return ptrOr(s.ProcCPUPct) })},
			[]series{{Label: "host cpu_pct"}, {Label: "switchio proc_cpu_pct"}}),
		c.timeChart("server_cpu", groupSystem, "Server CPU", "%",
			"Each server's busy CPU as it reports it in status (100 − idle_cpu_pct).",
			xs, cpu, slices.Clone(ser)),
		c.timeChart("server_sessions", groupServers, "Server sessions", "sessions",
			"Each server's current sessions (channels, both legs) from status.",
			xs, sess, slices.Clone(ser)),
		c.timeChart("server_reply", groupSystem, "Server status reply time", "ms",
			"How long each server took to answer status (reply_ms): a loaded server answers late.",
			xs, reply, slices.Clone(ser)),
	}
}

// fmtNum formats a number for people: about 3 significant digits (all
// the digits of whole numbers), no trailing zeros.
func fmtNum(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case math.IsNaN(v):
		return "–"
	case v == math.Trunc(v) && a < 1e15, a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		s = fmt.Sprintf("%.1f", v)
	case a >= 1:
		s = fmt.Sprintf("%.2f", v)
	default:
		s = fmt.Sprintf("%.3f", v)
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// targetOverTime returns the target rate at t seconds from the first
// offer, built from the summary's start rate and its change log ("rate"
// jumps, "stage k/n" ramps "R cps over D", "stages done" ends the
// offering); nil when the log has no rate change (the target was the
// summary's constant TargetRate).
func targetOverTime(sm *summary.Run) func(t float64) float64 {
	type ramp struct{ at, from, to, over float64 }
	var ramps []ramp
	end := math.Inf(1)
	rate := sm.StartRate
	for _, c := range sm.Changes {
		switch {
		case c.Setting == "rate":
			v, err := strconv.ParseFloat(c.Value, 64)
			if err != nil {
				continue
			}
			ramps = append(ramps, ramp{at: c.AtS, from: v, to: v})
			rate = v
		case strings.HasPrefix(c.Setting, "stage "):
			var to float64
			var over time.Duration
			if r, d, ok := strings.Cut(c.Value, " cps over "); ok {
				v, err1 := strconv.ParseFloat(r, 64)
				dd, err2 := time.ParseDuration(d)
				if err1 != nil || err2 != nil {
					continue
				}
				to, over = v, dd
			} else if r, ok := strings.CutSuffix(c.Value, " cps at once"); ok {
				v, err := strconv.ParseFloat(r, 64)
				if err != nil {
					continue
				}
				to = v
			} else {
				continue
			}
			ramps = append(ramps, ramp{at: c.AtS, from: rate, to: to, over: over.Seconds()})
			rate = to
		case c.Setting == "stages" && c.Value == "done", c.Setting == "state" && c.Value == "stopped":
			end = min(end, c.AtS)
		}
	}
	if len(ramps) == 0 {
		return nil
	}
	start := sm.StartRate
	return func(t float64) float64 {
		if t < 0 && ramps[0].at > t || t > end {
			return math.NaN()
		}
		v := start
		for _, r := range ramps {
			if t < r.at {
				break
			}
			v = r.to
			if r.over > 0 && t < r.at+r.over {
				v = r.from + (r.to-r.from)*(t-r.at)/r.over
			}
		}
		return v
	}
}
