package measure

import (
	"math"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Second is one row of a run's per-second time series: what happened to
// its calls during one second of the controller's clock, [Second,
// Second+1s). A run has one per second from its first to its last, also
// for seconds in which nothing happened, so plots need no gap filling.
type Second struct {
	// Second is the start of the second (UTC, whole seconds).
	Second time.Time `parquet:"second,timestamp(microsecond)"`
	// Offered, Answered, Failed, Completed, Dropped and Abandoned count
	// the calls offered, answered and ended with each outcome during the
	// second (see docs/outcomes.md).
	Offered   int64 `parquet:"offered"`
	Answered  int64 `parquet:"answered"`
	Failed    int64 `parquet:"failed"`
	Completed int64 `parquet:"completed"`
	Dropped   int64 `parquet:"dropped"`
	Abandoned int64 `parquet:"abandoned"`
	// Active is the number of calls offered and not yet ended at the end
	// of the second.
	Active int64 `parquet:"active"`
	// Erlangs is the traffic carried during the second: answered
	// call-seconds held in it divided by one second.
	Erlangs float64 `parquet:"erlangs"`
	// SetupP50Ms, SetupP90Ms, SetupP99Ms and SetupMaxMs are percentiles
	// of the set-up time (originate written to answer, local clock) of
	// the calls answered during the second; null when none was.
	SetupP50Ms *float64 `parquet:"setup_p50_ms,optional"`
	SetupP90Ms *float64 `parquet:"setup_p90_ms,optional"`
	SetupP99Ms *float64 `parquet:"setup_p99_ms,optional"`
	SetupMaxMs *float64 `parquet:"setup_max_ms,optional"`
	// FailedByCause counts the calls failed during the second by cause.
	FailedByCause map[string]int64 `parquet:"failed_by_cause"`
	// MediaChecked and MediaFailed count the calls ended during the
	// second with a media check verdict, and those failing one (see
	// VerdictSpec.Check).
	MediaChecked int64 `parquet:"media_checked"`
	MediaFailed  int64 `parquet:"media_failed"`
}

// secondAcc accumulates one open second.
type secondAcc struct {
	row Second
	// activeDelta and fullDelta are difference arrays: calls starting
	// (+1) and ending (-1) in this second, and answered calls whose hold
	// covers whole seconds from here.
	activeDelta, fullDelta int64
	setup                  *hdrhistogram.Histogram
}

// TimeSeries builds the per-second rows from finished calls' records, in
// bounded memory: only the seconds not yet final are kept. A second is
// final once every call still in flight started after it (the watermark
// a load test's dialer gives Advance), so its counts never change after
// it is emitted.
type TimeSeries struct {
	mu     sync.Mutex
	open   map[int64]*secondAcc
	next   int64 // first second not yet emitted (unix seconds); 0: none yet
	active int64 // running sums over emitted seconds
	full   int64
	emit   func(Second)
	checks map[string]bool // verdicts that are media checks
}

// NewTimeSeries returns a builder that gives each final row to emit, in
// order.
func NewTimeSeries(emit func(Second)) *TimeSeries {
	return &TimeSeries{open: map[int64]*secondAcc{}, emit: emit}
}

// SetVerdicts declares the run's verdict columns, before any record is
// added: the media checks among them are counted per second.
func (ts *TimeSeries) SetVerdicts(specs []VerdictSpec) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.checks = checksOf(specs)
}

// checksOf is the set of the media checks among specs.
func checksOf(specs []VerdictSpec) map[string]bool {
	m := map[string]bool{}
	for _, sp := range specs {
		if sp.Check && sp.Kind == KindBool {
			m[sp.Name] = true
		}
	}
	return m
}

// mediaCheck reports whether a record has a media check verdict and
// whether one of them failed.
func mediaCheck(checks map[string]bool, v map[string]Value) (checked, failed bool) {
	for name, x := range v {
		if checks[name] && x.Bool != nil {
			checked = true
			failed = failed || !*x.Bool
		}
	}
	return checked, failed
}

func (ts *TimeSeries) acc(sec int64) *secondAcc {
	if ts.next != 0 && sec < ts.next {
		// Late data for an emitted second (a watermark that was too
		// optimistic): count it in the first open second.
		sec = ts.next
	}
	a := ts.open[sec]
	if a == nil {
		a = &secondAcc{row: Second{Second: time.Unix(sec, 0).UTC()}}
		ts.open[sec] = a
	}
	return a
}

// Add counts one finished call.
func (ts *TimeSeries) Add(r Record) {
	start := firstTime(r.JobLaunch, r.CallerReqOriginate, r.CallerCreate, r.LocalAnswer)
	end := r.LocalHangup
	if end.IsZero() || end.Before(start) {
		end = start
	}
	if start.IsZero() {
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s0 := ts.acc(start.Unix())
	s0.row.Offered++
	s0.activeDelta++
	se := ts.acc(end.Unix())
	se.activeDelta--
	switch r.Outcome {
	case "failed":
		se.row.Failed++
		if se.row.FailedByCause == nil {
			se.row.FailedByCause = map[string]int64{}
		}
		se.row.FailedByCause[r.HangupCause]++
	case "completed":
		se.row.Completed++
	case "dropped":
		se.row.Dropped++
	case "abandoned":
		se.row.Abandoned++
	}
	if checked, failed := mediaCheck(ts.checks, r.Verdicts); checked {
		se.row.MediaChecked++
		if failed {
			se.row.MediaFailed++
		}
	}
	if r.Outcome == "failed" || r.LocalAnswer.IsZero() {
		return
	}
	ans := r.LocalAnswer
	sa := ts.acc(ans.Unix())
	sa.row.Answered++
	if !r.CallerReqOriginate.IsZero() && !ans.Before(r.CallerReqOriginate) {
		if sa.setup == nil {
			// 2 significant digits (~1%): a histogram per open second.
			sa.setup = hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)
		}
		_ = sa.setup.RecordValue(max(int64(ans.Sub(r.CallerReqOriginate)/time.Microsecond), 1))
	}
	// Erlangs: the answered interval [ans, end) spread over its seconds.
	if end.Before(ans) {
		return
	}
	as, es := ans.Unix(), end.Unix()
	if as == es {
		sa.row.Erlangs += end.Sub(ans).Seconds()
		return
	}
	sa.row.Erlangs += time.Unix(as+1, 0).Sub(ans).Seconds()
	ts.acc(es).row.Erlangs += end.Sub(time.Unix(es, 0)).Seconds()
	if es > as+1 {
		ts.acc(as+1).fullDelta++
		ts.acc(es).fullDelta--
	}
}

// MaxOpen bounds how long a second stays open: a call stuck in flight
// (its end never reported) must not hold every later second in memory.
// Its record, if it ever comes, counts in the first second still open.
const MaxOpen = 5 * time.Minute

// Advance emits every second before the watermark's: no call still in
// flight started in them. A load test gives the earliest offer time of
// its calls in flight (now when none is); seconds older than MaxOpen
// before the newest data are emitted whatever the watermark.
func (ts *TimeSeries) Advance(watermark time.Time) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	until := watermark.Unix()
	newest := int64(math.MinInt64)
	for s := range ts.open {
		newest = max(newest, s)
	}
	if newest != math.MinInt64 {
		until = max(until, newest-int64(MaxOpen/time.Second))
	}
	ts.advance(until)
}

func (ts *TimeSeries) advance(until int64) {
	if len(ts.open) == 0 && ts.next == 0 {
		return
	}
	if ts.next == 0 {
		ts.next = math.MaxInt64
		for s := range ts.open {
			ts.next = min(ts.next, s)
		}
	}
	for ; ts.next < until; ts.next++ {
		a := ts.open[ts.next]
		if a == nil {
			a = &secondAcc{row: Second{Second: time.Unix(ts.next, 0).UTC()}}
		}
		delete(ts.open, ts.next)
		ts.active += a.activeDelta
		ts.full += a.fullDelta
		row := a.row
		row.Active = ts.active
		row.Erlangs = round4(row.Erlangs + float64(ts.full))
		if a.setup != nil {
			p := func(q float64) *float64 { v := round4(float64(a.setup.ValueAtQuantile(q)) / 1000); return &v }
			row.SetupP50Ms, row.SetupP90Ms, row.SetupP99Ms = p(50), p(90), p(99)
			m := round4(float64(a.setup.Max()) / 1000)
			row.SetupMaxMs = &m
		}
		if ts.emit != nil {
			ts.emit(row)
		}
	}
}

// Close emits every second still open, through the last one with data.
func (ts *TimeSeries) Close() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.open) == 0 {
		return
	}
	last := int64(math.MinInt64)
	for s := range ts.open {
		last = max(last, s)
	}
	ts.advance(last + 1)
}
