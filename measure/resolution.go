package measure

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// ClockResolution is how finely a server's clock stamps its events,
// measured from what it sends. A vanilla FreeSWITCH stamps events and
// channel times from a clock its soft timer advances once per tick
// (switch_micro_time_now() returns runtime.timestamp, src/switch_time.c):
// 20 ms unless switch.conf.xml sets 1ms-timer. Its timestamps then lie on
// a 20 ms grid, those within one tick are equal, and every server-side
// latency (invite_latency, answer_latency, pdd, call_setup_latency ...)
// comes in steps of 20 ms: a p50 of 0.001 ms means "within one tick",
// not "one microsecond". Figures below the resolution say so (see
// ShowLatency).
type ClockResolution struct {
	// Ms is the spacing of the grid the server's timestamps lie on, in
	// milliseconds: 20 for a vanilla FreeSWITCH, 1 with 1ms-timer, 0.001
	// (the wire's microsecond) for a server stamping exact times; 0 while
	// too few distinct timestamps were seen to tell.
	Ms float64 `json:"ms"`
	// Samples is the number of differences between distinct timestamps
	// the figure was judged on (a bounded, evenly drawn sample).
	Samples uint64 `json:"samples"`
	// OnGrid is the share of those differences within the tolerance of a
	// multiple of Ms (the timer's wake-up jitter and the odd clock resync
	// make a few miss it).
	OnGrid float64 `json:"on_grid"`
	// Repeated is the share of events stamped with the same time as the
	// server's event before: high on a ticking clock under load.
	Repeated float64 `json:"repeated"`
}

// Exact reports whether the server stamps exact times (its resolution is
// the wire's microsecond): nothing to hide below it.
func (r ClockResolution) Exact() bool { return r.Ms > 0 && r.Ms <= 0.001 }

// String renders the resolution: "20 ms tick", "exact (1 µs)",
// "unknown".
func (r ClockResolution) String() string {
	switch {
	case r.Ms <= 0:
		return "unknown"
	case r.Exact():
		return "exact (1 µs)"
	}
	return FormatMs(r.Ms) + " ms tick"
}

// FormatMs renders a millisecond figure with at most three significant
// decimals: 20, 1, 0.25, 0.001.
func FormatMs(ms float64) string {
	return strconv.FormatFloat(math.Round(ms*1000)/1000, 'f', -1, 64)
}

// Resolution estimation. Any two timestamps of a ticking clock differ by
// a whole number of ticks (give or take the timer's jitter: the soft
// timer wakes up a few µs after its tick, ±~20 µs on 1.10.12, now and
// then much later), whatever their order: so the CDR keeps, per server,
// a sample of the differences between each event's timestamp and the
// previous distinct one, and the resolution is the largest spacing most
// of them are whole multiples of. Differences between exact stamps are
// multiples of nothing but the microsecond.
const (
	// resolutionSample bounds the differences kept per server (a
	// reservoir: evenly drawn over the whole run).
	resolutionSample = 4096
	// resolutionMinSamples is how many differences a figure needs.
	resolutionMinSamples = 16
	// resolutionFit is the share of differences that must lie on a
	// candidate's grid for it to be the resolution: robust to odd values
	// (a late wake-up, a clock resync: each odd stamp in a busy tick
	// makes two odd differences), well above the at most 50% that
	// differences at random fit (gridTolerance).
	resolutionFit = 0.7
	// resolutionCandidates bounds the candidate spacings tried: the most
	// frequent clusters of differences and the smallest ones.
	resolutionCandidates = 32
	// resolutionDivisors: the few smallest clusters are also tried
	// divided by 2..resolutionDivisors (down to 100 µs), for an idle
	// server whose events are rarely one tick apart.
	resolutionDivisors = 50
)

// ResolutionSampler estimates one server's timestamp resolution from
// the timestamps of its events (a bounded reservoir of their differences).
type ResolutionSampler struct {
	last     int64 // µs; 0 before the first
	events   uint64
	repeated uint64
	seen     uint64 // differences offered to the reservoir
	diffs    []int64
	rng      uint64 // xorshift state: the draw repeats from run to run
}

// Add takes one event timestamp.
func (s *ResolutionSampler) Add(ts time.Time) {
	if ts.IsZero() {
		return
	}
	us := ts.UnixMicro()
	s.events++
	if s.last == 0 {
		s.last = us
		return
	}
	d := us - s.last
	if d == 0 {
		s.repeated++
		return
	}
	s.last = us
	if d < 0 {
		d = -d
	}
	s.seen++
	if len(s.diffs) < resolutionSample {
		s.diffs = append(s.diffs, d)
		return
	}
	if s.rng == 0 {
		s.rng = 0x9e3779b97f4a7c15
	}
	s.rng ^= s.rng << 13
	s.rng ^= s.rng >> 7
	s.rng ^= s.rng << 17
	if j := s.rng % s.seen; j < resolutionSample {
		s.diffs[j] = d
	}
}

// Result estimates the resolution from what was seen.
func (s *ResolutionSampler) Result() ClockResolution {
	r := ClockResolution{Samples: uint64(len(s.diffs))}
	if s.events > 1 {
		r.Repeated = round4(float64(s.repeated) / float64(s.events-1))
	}
	if len(s.diffs) < resolutionMinSamples {
		return r
	}
	us, fit := EstimateResolution(s.diffs)
	r.Ms, r.OnGrid = round4(us/1000), round4(fit)
	if r.Ms == 0 {
		r.Ms = 0.001
	}
	return r
}

// gridTolerance is how far (µs) a difference may be from a multiple of a
// spacing r and still count as on its grid: 5% of r, at least 50 µs (the
// timer's jitter counts twice in a difference), at most r/10, so that
// differences at random fit a grid of 100 µs or more at most 20% of the
// time (finer grids: exact multiples only, at most half of them for 2 µs).
func gridTolerance(r float64) float64 {
	return min(max(r/20, 50), r/10)
}

// gridFit returns the share of diffs lying on the grid of spacing about
// r and the spacing that fits them best: Σd/Σk over those on it (d = k
// steps), which the many-step differences pin down to a fraction of the
// jitter. r is re-centred on differences of at most 4 steps first, then
// of at most 64, which an error in r moves little, so that a candidate a
// little off (a cluster's centre, jittered) still meets the many-step
// differences of an idle server.
func gridFit(diffs []int64, r float64) (share, refined float64) {
	n := 0
	fit := func(maxK float64) {
		tol := gridTolerance(r)
		var sd, sk float64
		n = 0
		for _, d := range diffs {
			k := math.Round(float64(d) / r)
			if k < 1 {
				k = 1
			}
			if k <= maxK && math.Abs(float64(d)-k*r) <= tol {
				sd += float64(d)
				sk += k
				n++
			}
		}
		if n > 0 {
			r = sd / sk
		}
	}
	fit(4)
	fit(64)
	fit(math.Inf(1))
	return float64(n) / float64(len(diffs)), r
}

// EstimateResolution returns the spacing (µs) of the grid most of diffs
// (positive differences between timestamps, µs) are whole multiples of,
// and the share of them that are; 1 µs (and share 1) when no coarser
// grid holds. Candidates are the centres of the most frequent and of the
// smallest clusters of differences, and fractions of the smallest; the
// largest that at least 70% of them fit wins, so a 20 ms tick is not
// mistaken for its 10 ms or 1 ms divisors, and odd differences do not
// spoil it.
func EstimateResolution(diffs []int64) (us, share float64) {
	if len(diffs) == 0 {
		return 0, 0
	}
	sorted := slices.Clone(diffs)
	slices.Sort(sorted)
	type cluster struct {
		centre float64
		n      int
	}
	var cs []cluster
	for i := 0; i < len(sorted); {
		j := i
		lim := float64(sorted[i]) + gridTolerance(float64(sorted[i]))
		for j < len(sorted) && float64(sorted[j]) <= lim {
			j++
		}
		cs = append(cs, cluster{centre: float64(sorted[(i+j)/2]), n: j - i})
		i = j
	}
	// cs is in ascending order: the smallest clusters first.
	var cands []float64
	for i, c := range cs {
		if i == resolutionCandidates {
			break
		}
		cands = append(cands, c.centre)
		if i < 4 {
			for k := 2; k <= resolutionDivisors && c.centre/float64(k) >= 100; k++ {
				cands = append(cands, c.centre/float64(k))
			}
		}
	}
	slices.SortStableFunc(cs, func(a, b cluster) int { return b.n - a.n })
	for i, c := range cs {
		if i == resolutionCandidates {
			break
		}
		cands = append(cands, c.centre)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	best, bestShare := 1.0, 1.0
	for i := len(cands) - 1; i >= 0; i-- {
		c := cands[i]
		if c <= best {
			break // largest first: nothing smaller can win
		}
		f, refined := gridFit(diffs, c)
		if f < resolutionFit {
			continue
		}
		// Re-centre on the grid the fitting differences describe.
		if f2, r2 := gridFit(diffs, refined); f2 >= f {
			f, refined = f2, r2
		}
		if refined > best {
			best, bestShare = refined, f
		}
	}
	return roundSignificant(best, 2), bestShare
}

// roundSignificant rounds x to n significant digits: the timer's jitter
// leaves a measured 20 ms tick at 19.998 ms.
func roundSignificant(x float64, n int) float64 {
	if x <= 0 {
		return x
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(x)))
	return math.Max(math.Round(x*p)/p, 1)
}

// ServerClock reports whether the metric's times come from the servers'
// clocks (Clock "caller", "callee" or "caller-callee"), whose resolution
// may be a 20 ms tick, rather than the controller's.
func (m Metric) ServerClock() bool { return m.Clock != "" && m.Clock != "local" }

// ShowLatency is how a latency figure v (in m's unit) may be shown, given
// the resolution resMs (ms) of the server clocks it was measured on
// (Figures.ClockResolutionMs). tick is that resolution in m's unit, 0
// when it does not apply (a metric on the controller's clock, an exact or
// unknown server clock). below tells that v is under one tick: it says
// only "within one tick" (a vanilla FreeSWITCH stamps a call's create,
// originate and answer with one time, so a p50 invite_latency of 0.001 ms
// is no measurement) and is to be shown as "< tick" (e.g. "< 20 ms
// (server clock tick)"). shown is v with no more decimals than the tick
// has: the figure is no finer than the clock. summary.json keeps the
// numbers as measured, with the resolution beside them.
func ShowLatency(m Metric, v, resMs float64) (shown float64, below bool, tick float64) {
	if !m.ServerClock() || resMs <= 0.001 {
		return v, false, 0
	}
	tick = resMs
	if m.Unit == "s" {
		tick = resMs / 1000
	}
	if v < tick {
		return v, true, tick
	}
	// No decimals below the tick's own: 20 ms -> whole ms, 0.25 ms -> 2.
	dec := max(0, int(math.Ceil(-math.Log10(tick)-1e-9)))
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p, false, tick
}
