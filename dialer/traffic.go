package dialer

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Arrivals is how offer times are spaced at a given rate. Either way the
// times are drawn ahead on the schedule's clock (open loop), so a late
// wake-up catches up instead of drifting, and rate changes, ramps and
// stages apply to both.
type Arrivals uint8

const (
	// Fixed spaces calls evenly: call k of a schedule is due when the
	// integrated rate reaches k (a metronome; the default).
	Fixed Arrivals = iota
	// Poisson offers calls as a Poisson process of the rate: independent
	// exponential gaps of mean 1/rate. The gaps are unit-rate exponential
	// draws in the integrated-rate domain, mapped to time through the
	// schedule, so a ramp or a stage gives a Poisson process of the
	// time-varying rate.
	Poisson
)

// String returns the name ParseArrivals reads.
func (a Arrivals) String() string {
	switch a {
	case Fixed:
		return "fixed"
	case Poisson:
		return "poisson"
	}
	return fmt.Sprintf("Arrivals(%d)", uint8(a))
}

// ParseArrivals reads "fixed" or "poisson".
func ParseArrivals(s string) (Arrivals, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fixed":
		return Fixed, nil
	case "poisson":
		return Poisson, nil
	}
	return 0, fmt.Errorf("arrivals %q: want fixed or poisson", s)
}

// gap returns the distance to the next call in the integrated-rate
// domain (in calls).
func (a Arrivals) gap(r *rand.Rand) float64 {
	if a == Poisson {
		return r.ExpFloat64()
	}
	return 1
}

// HoldKind names a hold-time distribution.
type HoldKind uint8

// Hold-time distributions.
const (
	// HoldFixed holds every call for Config.Duration (the default).
	HoldFixed HoldKind = iota
	// HoldExp draws exponential holds of mean HoldDist.Mean (the classic
	// telephony assumption: memoryless calls).
	HoldExp
	// HoldUniform draws holds uniformly between HoldDist.Min and
	// HoldDist.Max.
	HoldUniform
	// HoldLognormal draws exp(N(ln Median, Sigma²)): a median hold and
	// the standard deviation of its logarithm (0.5 puts the middle 68 %
	// of calls between Median/1.65 and Median×1.65); the mean is
	// Median·exp(Sigma²/2).
	HoldLognormal
)

// HoldClip bounds the unbounded distributions (exponential, lognormal):
// a draw beyond HoldClip times the mean is held for that long instead,
// so the drain time and the server-side guard (sched_hangup) stay
// bounded. It lowers an exponential's mean by e^-10 (negligible) and a
// lognormal's noticeably only for Sigma above about 1.5.
const HoldClip = 10

// MaxHoldLimit is the longest hold a distribution may give a call (its
// clip, or a uniform's Max): a year, far within what sched_hangup's
// seconds hold.
const MaxHoldLimit = 365 * 24 * time.Hour

// minHold is the shortest hold drawn: a hold of 0 would mean "never hang
// up" to the dialer and the server alike.
const minHold = time.Millisecond

// HoldDist is the distribution of calls' hold times, drawn per call at
// offer time. The zero value is HoldFixed: every call held
// Config.Duration. Each call's own hold drives both the controller's
// hang-up and the server-side guard.
type HoldDist struct {
	Kind HoldKind
	// Mean is HoldExp's mean.
	Mean time.Duration
	// Min and Max bound HoldUniform.
	Min, Max time.Duration
	// Median and Sigma parametrise HoldLognormal (see HoldLognormal).
	Median time.Duration
	Sigma  float64
}

// ParseHoldDist reads "fixed", "exp:MEAN", "uniform:MIN-MAX" or
// "lognormal:MEDIAN,SIGMA". Durations take Go syntax (30s, 1m30s) or a
// bare number of seconds; e.g. exp:2m, uniform:30s-90s, lognormal:1m,0.5.
func ParseHoldDist(s string) (HoldDist, error) {
	s = strings.TrimSpace(s)
	kind, arg, _ := strings.Cut(s, ":")
	bad := func(format string) (HoldDist, error) {
		return HoldDist{}, fmt.Errorf("hold distribution %q: want %s", s, format)
	}
	var h HoldDist
	var err error
	switch strings.ToLower(kind) {
	case "fixed":
		if arg != "" {
			return bad("fixed (the hold is the duration)")
		}
		return HoldDist{}, nil
	case "exp", "exponential":
		h.Kind = HoldExp
		if h.Mean, err = parseSeconds(arg); err != nil {
			return bad("exp:MEAN, e.g. exp:2m")
		}
	case "uniform":
		h.Kind = HoldUniform
		lo, hi, ok := strings.Cut(arg, "-")
		if !ok {
			return bad("uniform:MIN-MAX, e.g. uniform:30s-90s")
		}
		if h.Min, err = parseSeconds(lo); err == nil {
			h.Max, err = parseSeconds(hi)
		}
		if err != nil {
			return bad("uniform:MIN-MAX, e.g. uniform:30s-90s")
		}
	case "lognormal":
		h.Kind = HoldLognormal
		med, sig, ok := strings.Cut(arg, ",")
		if !ok {
			return bad("lognormal:MEDIAN,SIGMA, e.g. lognormal:1m,0.5")
		}
		if h.Median, err = parseSeconds(med); err == nil {
			h.Sigma, err = strconv.ParseFloat(strings.TrimSpace(sig), 64)
		}
		if err != nil {
			return bad("lognormal:MEDIAN,SIGMA, e.g. lognormal:1m,0.5")
		}
	default:
		return bad("fixed, exp:MEAN, uniform:MIN-MAX or lognormal:MEDIAN,SIGMA")
	}
	if err := h.Validate(); err != nil {
		return HoldDist{}, err
	}
	return h, nil
}

// Validate reports a distribution that cannot be drawn from: a
// non-positive mean or median, uniform bounds out of order or with
// Max 0, a negative or non-finite sigma, or a clip beyond MaxHoldLimit.
func (h HoldDist) Validate() error {
	switch h.Kind {
	case HoldFixed:
		return nil
	case HoldExp:
		if h.Mean <= 0 {
			return fmt.Errorf("hold distribution %v: the mean must be positive", h)
		}
	case HoldUniform:
		switch {
		case h.Min < 0 || h.Max <= 0:
			return fmt.Errorf("hold distribution %v: the bounds must be positive", h)
		case h.Min > h.Max:
			return fmt.Errorf("hold distribution %v: min %v is above max %v", h, h.Min, h.Max)
		}
	case HoldLognormal:
		if h.Median <= 0 {
			return fmt.Errorf("hold distribution %v: the median must be positive", h)
		}
		if !(h.Sigma >= 0) || math.IsInf(h.Sigma, 0) {
			return fmt.Errorf("hold distribution %v: sigma must be a finite number >= 0", h)
		}
	default:
		return fmt.Errorf("hold distribution kind %d unknown", h.Kind)
	}
	if c := h.clipSeconds(); !(c <= MaxHoldLimit.Seconds()) {
		return fmt.Errorf("hold distribution %v: holds up to %.0f s, above the limit of %v", h, c, MaxHoldLimit)
	}
	return nil
}

// meanSeconds is the distribution's mean before clipping (0 for fixed).
func (h HoldDist) meanSeconds() float64 {
	switch h.Kind {
	case HoldExp:
		return h.Mean.Seconds()
	case HoldUniform:
		return (h.Min.Seconds() + h.Max.Seconds()) / 2
	case HoldLognormal:
		return h.Median.Seconds() * math.Exp(h.Sigma*h.Sigma/2)
	}
	return 0
}

// clipSeconds is the longest hold drawn.
func (h HoldDist) clipSeconds() float64 {
	if h.Kind == HoldUniform {
		return h.Max.Seconds()
	}
	return HoldClip * h.meanSeconds()
}

// MeanHold is the distribution's mean (before the clip, which changes it
// by less than 0.01 % for exponential holds); 0 for HoldFixed, whose
// holds are Config.Duration.
func (h HoldDist) MeanHold() time.Duration { return secondsToDuration(h.meanSeconds()) }

// MaxHold is the longest hold the distribution gives (its clip, or a
// uniform's Max); 0 for HoldFixed.
func (h HoldDist) MaxHold() time.Duration {
	if h.Kind == HoldFixed {
		return 0
	}
	return secondsToDuration(h.clipSeconds())
}

// ShareBelow is the share of calls the distribution holds less than d
// (appkit.HoldDistribution), clip included: 0 for HoldFixed, whose holds are
// Config.Duration.
func (h HoldDist) ShareBelow(d time.Duration) float64 {
	if h.Kind == HoldFixed || d <= minHold {
		return 0
	}
	x := d.Seconds()
	if x > h.clipSeconds() {
		return 1
	}
	var p float64
	switch h.Kind {
	case HoldExp:
		p = -math.Expm1(-x / h.Mean.Seconds())
	case HoldUniform:
		lo, hi := h.Min.Seconds(), h.Max.Seconds()
		if hi <= lo {
			if x > lo {
				p = 1
			}
		} else {
			p = (x - lo) / (hi - lo)
		}
	case HoldLognormal:
		z := math.Log(x / h.Median.Seconds())
		if h.Sigma == 0 {
			if z > 0 {
				p = 1
			}
		} else {
			p = 0.5 * math.Erfc(-z/(h.Sigma*math.Sqrt2))
		}
	}
	return min(max(p, 0), 1)
}

// String returns the form ParseHoldDist reads.
func (h HoldDist) String() string {
	switch h.Kind {
	case HoldFixed:
		return "fixed"
	case HoldExp:
		return "exp:" + h.Mean.String()
	case HoldUniform:
		return "uniform:" + h.Min.String() + "-" + h.Max.String()
	case HoldLognormal:
		return "lognormal:" + h.Median.String() + "," + strconv.FormatFloat(h.Sigma, 'g', -1, 64)
	}
	return fmt.Sprintf("HoldKind(%d)", h.Kind)
}

// draw returns one call's hold; fixed is the hold of HoldFixed. A
// drawn hold lies in [1 ms, MaxHold].
func (h HoldDist) draw(r *rand.Rand, fixed time.Duration) time.Duration {
	var s float64
	switch h.Kind {
	case HoldExp:
		s = r.ExpFloat64() * h.Mean.Seconds()
	case HoldUniform:
		s = h.Min.Seconds() + r.Float64()*(h.Max.Seconds()-h.Min.Seconds())
	case HoldLognormal:
		s = h.Median.Seconds() * math.Exp(h.Sigma*r.NormFloat64())
	default:
		return fixed
	}
	return max(secondsToDuration(min(s, h.clipSeconds())), minHold)
}

func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

// Stage is one step of a load profile (Config.Stages), as k6's
// ramping-arrival-rate stages: over Duration the rate moves linearly
// from the previous stage's Rate (0 before the first) to this Rate. A
// zero Duration jumps to Rate; it must be followed by a stage with a
// positive duration (which holds or ramps from there), else it would
// have no effect.
type Stage struct {
	Duration time.Duration
	Rate     float64
}

// String returns the form ParseStage reads.
func (s Stage) String() string {
	return s.Duration.String() + ":" + strconv.FormatFloat(s.Rate, 'g', -1, 64)
}

// ParseStage reads DURATION:RATE, e.g. 5m:60 (ramp to 60 calls/s over 5
// minutes) or 0:10 (jump to 10 calls/s).
func ParseStage(s string) (Stage, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Stage{}, fmt.Errorf("stage %q: want DURATION:RATE, e.g. 5m:60", s)
	}
	d, err := parseSeconds(s[:i])
	if err != nil {
		return Stage{}, fmt.Errorf("stage %q: duration: %w", s, err)
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(s[i+1:]), 64)
	if err != nil || !(r >= 0) || r > MaxRate {
		return Stage{}, fmt.Errorf("stage %q: want a rate from 0 to %g calls per second", s, MaxRate)
	}
	return Stage{Duration: d, Rate: r}, nil
}

// CheckStages validates a load profile (Config.Stages): durations >= 0,
// rates from 0 to MaxRate, and no zero duration without a stage of positive
// duration after it.
func CheckStages(st []Stage) error {
	var total time.Duration
	for i, s := range st {
		switch {
		case s.Duration < 0:
			return fmt.Errorf("stage %d (%v): negative duration", i+1, s)
		case !(s.Rate >= 0) || s.Rate > MaxRate:
			return fmt.Errorf("stage %d (%v): want a rate from 0 to %g calls per second", i+1, s, MaxRate)
		case s.Duration == 0 && (i == len(st)-1 || st[i+1].Duration == 0):
			return fmt.Errorf("stage %d (%v): a zero duration jumps to the rate, so a stage with a positive duration must follow it", i+1, s)
		}
		total += s.Duration
		if total < 0 || total > MaxHoldLimit*100 {
			return errors.New("stages: the profile is too long")
		}
	}
	return nil
}

// parseSeconds parses a duration: a bare number means seconds, else Go
// syntax; negative, NaN and infinite values are refused.
func parseSeconds(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		if !(x >= 0) || x > float64(math.MaxInt64)/float64(time.Second) {
			return 0, fmt.Errorf("%q: want a duration >= 0", s)
		}
		return secondsToDuration(x), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration >= 0 (30s, 1m30s, or seconds)", s)
	}
	return d, nil
}

// traffic is the Originator's traffic model: arrivals, holds, the
// random streams they draw from, and the load profile's progress.
type traffic struct {
	seed     uint64
	arrivals Arrivals
	hold     HoldDist
	// arrRand draws arrival gaps, holdRand holds: two PCG streams of one
	// seed, so a run's arrival times do not depend on its hold
	// distribution (and the other way round).
	arrRand, holdRand *rand.Rand
	// next is the position of the next call (number o.offered) in the
	// schedule segment's integrated-rate domain.
	next float64
	// stages is the load profile; stage the index of the current stage
	// (-1 before the first, len(stages) once over or abandoned);
	// stageEnd when the current one ends.
	stages   []Stage
	stage    int
	stageEnd time.Time
}

// newTraffic seeds the streams (a random non-zero seed when seed is 0).
func newTraffic(cfg *Config) traffic {
	seed := cfg.Seed
	for seed == 0 {
		var b [8]byte
		_, _ = cryptorand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	t := traffic{seed: seed, arrivals: cfg.Arrivals, hold: cfg.HoldDist,
		arrRand:  rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		holdRand: rand.New(rand.NewPCG(seed, 0xbf58476d1ce4e5b9)),
		stages:   append([]Stage(nil), cfg.Stages...), stage: -1}
	if len(t.stages) == 0 {
		t.stage = 0
	}
	return t
}

// staged reports whether a load profile is running (or yet to start).
func (t *traffic) staged() bool { return t.stage < len(t.stages) }

// peakRate is the highest rate of the profile (0 without one).
func (t *traffic) peakRate() float64 {
	p := 0.0
	for _, s := range t.stages {
		p = max(p, s.Rate)
	}
	return p
}

// first returns the position of a schedule's first call: at its start
// for fixed arrivals, one exponential gap in for Poisson (a Poisson
// process has no arrival at time 0).
func (t *traffic) first() float64 {
	if t.arrivals == Poisson {
		return t.gap()
	}
	return 0
}

// gap draws the distance to the next call.
func (t *traffic) gap() float64 { return t.arrivals.gap(t.arrRand) }

// enterStage moves seg into the next stage at time at (the current
// stage's end), keeping the next call's residual position, and returns
// the stage entered (or false when the profile is over).
func (t *traffic) enterStage(seg *segment, at time.Time) (Stage, bool) {
	left := max(t.next-seg.count(at), 0)
	prev := 0.0
	if t.stage >= 0 {
		prev = t.stages[t.stage].Rate
	}
	t.stage++
	if t.stage >= len(t.stages) {
		*seg = segment{t0: at, r0: prev, r1: prev}
		t.next = left
		return Stage{}, false
	}
	s := t.stages[t.stage]
	*seg = segment{t0: at, r0: prev, r1: s.Rate, ramp: s.Duration}
	t.next = left
	t.stageEnd = at.Add(s.Duration)
	return s, true
}
