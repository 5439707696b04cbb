package measure

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Percentiles summarise one latency metric, in its catalogue unit (ms or
// s).
type Percentiles struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	Max   float64 `json:"max"`
}

// Figures are the catalogue's figures over a set of records.
type Figures struct {
	Offered   uint64 `json:"offered"`
	Answered  uint64 `json:"answered"`
	Failed    uint64 `json:"failed"`
	Completed uint64 `json:"completed"`
	Dropped   uint64 `json:"dropped"`
	Abandoned uint64 `json:"abandoned"`
	// FailedByCause counts failed calls by cause.
	FailedByCause map[string]uint64 `json:"failed_by_cause"`
	// Ratios and means by catalogue name (asr, ner, drop_rate,
	// seizure_fail_rate, answer_seizure_ratio, acd, avg_call_rate);
	// absent when their denominator is zero.
	Ratios map[string]float64 `json:"ratios"`
	// Latencies by catalogue name.
	Latencies map[string]Percentiles `json:"latencies"`
	// ClockResolutionMs is the coarsest resolution (ClockResolution.Ms)
	// of the server clocks these figures' calls were stamped by (caller
	// and callee servers): the latencies on server clocks (Metric.Clock
	// other than "local") are kept as measured, but any below it means
	// only "within one tick" (ShowLatency). Absent when unknown.
	ClockResolutionMs float64 `json:"clock_resolution_ms,omitempty"`
	// MediaChecked counts the calls with a media check verdict
	// (VerdictSpec.Check); MediaFailed those where one is false.
	MediaChecked uint64 `json:"media_checked"`
	MediaFailed  uint64 `json:"media_failed"`
	// MediaUnchecked counts the calls whose check could not be made
	// (SkipCheck): their check verdicts are null, the reasons are
	// counted in Verdicts[VerdictUnchecked].
	MediaUnchecked uint64 `json:"media_unchecked"`
	// Verdicts summarises the apps' verdict columns by name (absent
	// when no call has one).
	Verdicts map[string]VerdictFigures `json:"verdicts,omitempty"`
}

// VerdictFigures summarise one verdict column over the calls that have
// it (a call with no value is not counted).
type VerdictFigures struct {
	// Count is the number of calls with a value.
	Count uint64 `json:"count"`
	// True and False count a bool verdict's values.
	True  uint64 `json:"true,omitempty"`
	False uint64 `json:"false,omitempty"`
	// Sum, Min, Max and Mean summarise a number verdict.
	Sum  float64 `json:"sum,omitempty"`
	Min  float64 `json:"min,omitempty"`
	Max  float64 `json:"max,omitempty"`
	Mean float64 `json:"mean,omitempty"`
	// Nonzero counts number verdicts other than 0 (calls with lost sync,
	// with dropouts ...).
	Nonzero uint64 `json:"nonzero,omitempty"`
	// Values counts a text verdict's values (dtmf_result: ok, mismatch,
	// incomplete), at most MaxVerdictValues of them; the calls with
	// other values are counted under OtherValue.
	Values map[string]uint64 `json:"values,omitempty"`
}

// MaxVerdictValues bounds the distinct values counted per text verdict
// (a verdict holding file names or digit strings must not grow the
// summary without end).
const MaxVerdictValues = 16

// OtherValue counts the text verdicts beyond MaxVerdictValues distinct
// values.
const OtherValue = "(other)"

// MetricsSummary is the catalogue's figures for a run: overall, per
// server and per app, with the warm-up apart.
type MetricsSummary struct {
	Figures
	PerServer map[string]Figures `json:"per_server"`
	PerApp    map[string]Figures `json:"per_app"`
	// Warmup holds the calls offered during the warm-up window, left out
	// of everything above (nil without a warm-up).
	Warmup *Figures `json:"warmup,omitempty"`
	// ClockOffsets are the servers' clocks against the controller's.
	ClockOffsets map[string]ClockOffset `json:"clock_offsets"`
	// ClockResolutions are how finely each server's clock stamps its
	// events (20 ms on a vanilla FreeSWITCH), measured from them.
	ClockResolutions map[string]ClockResolution `json:"clock_resolutions,omitempty"`
}

// ClockOffset is a server's clock against the controller's, estimated
// from its events: the smallest (local receive time - event timestamp)
// seen, which is the offset plus the smallest delivery delay.
type ClockOffset struct {
	OffsetMs float64 `json:"offset_ms"`
	Samples  uint64  `json:"samples"`
}

// figures accumulates Figures.
type figures struct {
	f Figures
	// first and last job launch (or caller create), for avg_call_rate.
	first, last time.Time
	acd         float64
	nacd        int
	ner         uint64
	hist        map[string]*hdrhistogram.Histogram
	verdicts    map[string]*VerdictFigures
	// servers are the servers whose clocks stamped the records (caller
	// and callee), for ClockResolutionMs.
	servers map[string]bool
}

func newFigures() *figures {
	return &figures{f: Figures{FailedByCause: map[string]uint64{}}, hist: map[string]*hdrhistogram.Histogram{}}
}

// record adds a value (microseconds) to a latency metric.
func (g *figures) record(name string, d time.Duration) {
	if d < 0 {
		return
	}
	h := g.hist[name]
	if h == nil {
		// 1 µs .. 1 h at 3 significant digits.
		h = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 3)
		g.hist[name] = h
	}
	_ = h.RecordValue(max(int64(d/time.Microsecond), 1))
}

// Aggregator computes the catalogue's figures from records as they come,
// in bounded memory (histograms and counters, no per-call state).
type Aggregator struct {
	warmupEnd time.Time
	all       *figures
	warm      *figures
	perServer map[string]*figures
	perApp    map[string]*figures
	offsets   map[string]ClockOffset
	res       map[string]ClockResolution
	checks    map[string]bool // verdicts that are media checks
}

// NewAggregator returns an Aggregator; calls offered before warmupEnd
// (zero: none) are counted apart.
func NewAggregator(warmupEnd time.Time) *Aggregator {
	return &Aggregator{warmupEnd: warmupEnd, all: newFigures(), perServer: map[string]*figures{},
		perApp: map[string]*figures{}, offsets: map[string]ClockOffset{}}
}

// SetWarmupEnd sets the end of the warm-up window (zero: none), before
// any record is added.
func (a *Aggregator) SetWarmupEnd(t time.Time) { a.warmupEnd = t }

// SetClockOffsets gives the servers' measured clock offsets (see
// CDR.ClockOffsets): cross-server latencies use them.
func (a *Aggregator) SetClockOffsets(o map[string]ClockOffset) { a.offsets = o }

// SetClockResolutions gives the servers' measured clock resolutions (see
// CDR.ClockResolutions): the summary carries them, and each group of
// figures the coarsest of its servers'.
func (a *Aggregator) SetClockResolutions(r map[string]ClockResolution) { a.res = r }

// SetVerdicts declares the run's verdict columns (CDRConfig.Verdicts),
// before any record is added: the media checks among them
// (VerdictSpec.Check) count toward media_checked and media_failed.
func (a *Aggregator) SetVerdicts(specs []VerdictSpec) { a.checks = checksOf(specs) }

// Add counts one record.
func (a *Aggregator) Add(r Record) {
	start := r.JobLaunch
	if start.IsZero() {
		start = r.CallerCreate
	}
	if !a.warmupEnd.IsZero() && !start.IsZero() && start.Before(a.warmupEnd) {
		if a.warm == nil {
			a.warm = newFigures()
		}
		a.add(a.warm, r)
		return
	}
	a.add(a.all, r)
	a.add(groupOf(a.perServer, r.Server), r)
	a.add(groupOf(a.perApp, r.App), r)
}

func groupOf(m map[string]*figures, k string) *figures {
	g := m[k]
	if g == nil {
		g = newFigures()
		m[k] = g
	}
	return g
}

// add counts one record into group g, phase by phase: the call's
// servers and launch time, its outcome, its latencies, its verdicts.
func (a *Aggregator) add(g *figures, r Record) {
	g.f.Offered++
	g.noteServers(&r)
	g.noteLaunch(&r)
	answered := g.countOutcome(&r)
	a.recordLatencies(g, &r, answered)
	a.addVerdicts(g, &r)
	g.recordHoldError(&r)
}

// noteServers remembers the servers whose clocks stamped the record
// (caller and callee), for ClockResolutionMs.
func (g *figures) noteServers(r *Record) {
	for _, s := range [2]string{r.Server, r.CalleeServer} {
		if s != "" && !g.servers[s] {
			if g.servers == nil {
				g.servers = map[string]bool{}
			}
			g.servers[s] = true
		}
	}
}

// noteLaunch widens the group's first and last launch (or caller
// create) times, for avg_call_rate.
func (g *figures) noteLaunch(r *Record) {
	if at := firstTime(r.JobLaunch, r.CallerCreate); !at.IsZero() {
		if g.first.IsZero() || at.Before(g.first) {
			g.first = at
		}
		if at.After(g.last) {
			g.last = at
		}
	}
}

// countOutcome counts the record's outcome, its NER share and its call
// duration toward ACD; it reports whether the call was answered (any
// outcome but failed).
func (g *figures) countOutcome(r *Record) bool {
	f := &g.f
	answered := r.Outcome != "failed"
	switch r.Outcome {
	case "failed":
		f.Failed++
		f.FailedByCause[r.HangupCause]++
		if userCauses[r.HangupCause] {
			g.ner++
		}
	case "completed":
		f.Completed++
	case "dropped":
		f.Dropped++
	case "abandoned":
		f.Abandoned++
	}
	if answered {
		f.Answered++
		g.ner++
		switch {
		case r.BillMsec != nil:
			g.acd += float64(*r.BillMsec) / 1000
			g.nacd++
		case !r.CallerHangup.IsZero() && !r.CallerAnswer.IsZero():
			g.acd += r.CallerHangup.Sub(r.CallerAnswer).Seconds()
			g.nacd++
		}
	}
	return answered
}

// recordLatencies records the latency metrics whose two ends the record
// has (cross-server ones only with known clock offsets).
func (a *Aggregator) recordLatencies(g *figures, r *Record, answered bool) {
	if first := firstTime(r.CallerRinging, r.CallerEarlyMedia); !first.IsZero() && !r.CallerCreate.IsZero() {
		g.record(MetricPDD, first.Sub(r.CallerCreate))
	}
	if !r.CallerAnswer.IsZero() && !r.CallerCreate.IsZero() {
		g.record(MetricCallSetupLatency, r.CallerAnswer.Sub(r.CallerCreate))
	}
	if d, ok := a.across(r, r.CallerCreate, r.CalleeCreate); ok {
		g.record(MetricInviteLatency, d)
	}
	if d, ok := a.across(r, r.CalleeAnswer, r.CallerAnswer); ok {
		g.record(MetricAnswerLatency, d)
	}
	if !r.JobLaunch.IsZero() && !r.CallerReqOriginate.IsZero() {
		g.record(MetricOriginateLatency, r.CallerReqOriginate.Sub(r.JobLaunch))
	}
	if !r.CallerReqOriginate.IsZero() && !r.LocalAnswer.IsZero() && answered {
		g.record(MetricLocalSetupLatency, r.LocalAnswer.Sub(r.CallerReqOriginate))
	}
	if !r.CallerHangup.IsZero() && !r.CallerCreate.IsZero() {
		g.record(MetricCallDuration, r.CallerHangup.Sub(r.CallerCreate))
	}
}

// recordHoldError records how far a completed call's billed time was
// from the hold asked for (its absolute difference).
func (g *figures) recordHoldError(r *Record) {
	if r.Outcome == "completed" && r.BillMsec != nil && r.HoldMs > 0 {
		d := time.Duration(*r.BillMsec-r.HoldMs) * time.Millisecond
		if d < 0 {
			d = -d
		}
		g.record(MetricHoldError, d)
	}
}

// addVerdicts counts a record's verdicts and media checks.
func (a *Aggregator) addVerdicts(g *figures, r *Record) {
	if len(r.Verdicts) == 0 {
		return
	}
	checked, failed := mediaCheck(a.checks, r.Verdicts)
	for name, v := range r.Verdicts {
		vf := g.verdicts[name]
		if vf == nil {
			if g.verdicts == nil {
				g.verdicts = map[string]*VerdictFigures{}
			}
			vf = &VerdictFigures{}
			g.verdicts[name] = vf
		}
		vf.Count++
		switch {
		case v.Bool != nil:
			if *v.Bool {
				vf.True++
			} else {
				vf.False++
			}
		case v.Int != nil:
			vf.addNumber(float64(*v.Int))
		case v.Float != nil:
			vf.addNumber(*v.Float)
		case v.String != nil:
			vf.addText(*v.String)
		}
	}
	if checked {
		g.f.MediaChecked++
	}
	// A check that could not be made counts even where another check of
	// the call was made (the RTP check is made on every call).
	if v, ok := r.Verdicts[VerdictUnchecked]; ok && v.String != nil && *v.String != "" {
		g.f.MediaUnchecked++
	}
	if failed {
		g.f.MediaFailed++
	}
}

// ValueCounts renders a text verdict's counts, most frequent first:
// "ok 148, incomplete 46, mismatch 6".
func (vf VerdictFigures) ValueCounts() string {
	keys := slices.Collect(maps.Keys(vf.Values))
	sort.Slice(keys, func(i, j int) bool {
		if vf.Values[keys[i]] != vf.Values[keys[j]] {
			return vf.Values[keys[i]] > vf.Values[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := k
		if name == "" {
			name = `""`
		}
		parts[i] = name + " " + strconv.FormatUint(vf.Values[k], 10)
	}
	return strings.Join(parts, ", ")
}

func (vf *VerdictFigures) addText(s string) {
	if vf.Values == nil {
		vf.Values = map[string]uint64{}
	}
	if _, ok := vf.Values[s]; !ok && len(vf.Values) >= MaxVerdictValues {
		s = OtherValue
	}
	vf.Values[s]++
}

func (vf *VerdictFigures) addNumber(x float64) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return
	}
	if vf.Count == 1 || x < vf.Min {
		vf.Min = x
	}
	if vf.Count == 1 || x > vf.Max {
		vf.Max = x
	}
	vf.Sum += x
	if x != 0 {
		vf.Nonzero++
	}
}

// across returns to - from for times on the caller's and the callee's
// clocks (AcrossServers: false when the offsets are unknown).
func (a *Aggregator) across(r *Record, from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() {
		return 0, false
	}
	return AcrossServers(a.offsets, r.Server, r.CalleeServer, to.Sub(from))
}

func firstTime(ts ...time.Time) time.Time {
	var first time.Time
	for _, t := range ts {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first
}

// Summary returns the figures so far.
func (a *Aggregator) Summary() MetricsSummary {
	s := MetricsSummary{Figures: a.all.figures(a.res), PerServer: map[string]Figures{}, PerApp: map[string]Figures{},
		ClockOffsets: a.offsets}
	if len(a.res) > 0 {
		s.ClockResolutions = a.res
	}
	for k, g := range a.perServer {
		s.PerServer[k] = g.figures(a.res)
	}
	for k, g := range a.perApp {
		s.PerApp[k] = g.figures(a.res)
	}
	if a.warm != nil {
		w := a.warm.figures(a.res)
		s.Warmup = &w
	}
	return s
}

// figures returns the group's figures; res gives its servers' clock
// resolutions.
func (g *figures) figures(res map[string]ClockResolution) Figures {
	f := g.f
	for s := range g.servers {
		f.ClockResolutionMs = max(f.ClockResolutionMs, res[s].Ms)
	}
	f.FailedByCause = make(map[string]uint64, len(g.f.FailedByCause))
	for k, v := range g.f.FailedByCause {
		f.FailedByCause[k] = v
	}
	f.Ratios = map[string]float64{}
	if f.Offered > 0 {
		n := float64(f.Offered)
		f.Ratios[MetricASR] = round4(float64(f.Answered) / n)
		f.Ratios[MetricNER] = round4(float64(g.ner) / n)
		f.Ratios[MetricSeizureFailRate] = round4(float64(f.Failed) / n)
		f.Ratios[MetricAnswerSeizure] = round4(1 - float64(f.Failed)/n)
	}
	if f.Answered > 0 {
		f.Ratios[MetricDropRate] = round4(float64(f.Dropped) / float64(f.Answered))
	}
	if g.nacd > 0 {
		f.Ratios[MetricACD] = round4(g.acd / float64(g.nacd))
	}
	if f.Offered > 1 && g.last.After(g.first) {
		f.Ratios[MetricAvgCallRate] = round4(float64(f.Offered-1) / g.last.Sub(g.first).Seconds())
	}
	if f.MediaChecked > 0 {
		f.Ratios[MetricMediaFailRate] = round4(float64(f.MediaFailed) / float64(f.MediaChecked))
	}
	if len(g.verdicts) > 0 {
		f.Verdicts = make(map[string]VerdictFigures, len(g.verdicts))
		for k, vf := range g.verdicts {
			v := *vf
			if vf.Values != nil {
				v.Values = maps.Clone(vf.Values)
			}
			if n := v.True + v.False + sumValues(v.Values); n < v.Count {
				v.Mean = round4(v.Sum / float64(v.Count-n))
			}
			f.Verdicts[k] = v
		}
	}
	f.Latencies = map[string]Percentiles{}
	names := make([]string, 0, len(g.hist))
	for k := range g.hist {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		m, _ := Lookup(k)
		f.Latencies[k] = percentilesOf(g.hist[k], m.Unit)
	}
	return f
}

func sumValues(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func percentilesOf(h *hdrhistogram.Histogram, unit string) Percentiles {
	scale := 1000.0 // µs -> ms
	if unit == "s" {
		scale = 1e6
	}
	v := func(x int64) float64 { return round4(float64(x) / scale) }
	return Percentiles{Count: uint64(h.TotalCount()), P50: v(h.ValueAtQuantile(50)), P90: v(h.ValueAtQuantile(90)),
		P99: v(h.ValueAtQuantile(99)), P999: v(h.ValueAtQuantile(99.9)), Max: v(h.Max())}
}

func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
