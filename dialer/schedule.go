package dialer

import (
	"math"
	"time"
)

// segment is one piece of the open-loop schedule: from time t0 the rate
// moves linearly from r0 to r1 over ramp, then stays at r1. A call at
// position k (in calls, from t0) is due when the integrated rate reaches
// k: fixed arrivals put calls at whole positions, Poisson arrivals at
// sums of unit-rate exponential gaps. Calls are so scheduled at absolute
// times, and a late wake-up catches up instead of drifting (no
// sleep-after-send).
type segment struct {
	t0     time.Time
	r0, r1 float64
	ramp   time.Duration
}

// rateAt returns the instantaneous rate at t.
func (s segment) rateAt(t time.Time) float64 {
	d := t.Sub(s.t0)
	if s.ramp <= 0 || d >= s.ramp {
		return s.r1
	}
	if d <= 0 {
		return s.r0
	}
	return s.r0 + (s.r1-s.r0)*float64(d)/float64(s.ramp)
}

// count returns the integrated rate from t0 to t: the position due at t.
func (s segment) count(t time.Time) float64 {
	d := t.Sub(s.t0).Seconds()
	if d <= 0 {
		return 0
	}
	T := s.ramp.Seconds()
	if T <= 0 {
		return s.r1 * d
	}
	if d <= T {
		return s.r0*d + (s.r1-s.r0)/(2*T)*d*d
	}
	return (s.r0+s.r1)/2*T + s.r1*(d-T)
}

// dueAt returns when the call at position k is due; ok is false when the
// rate stays zero and it never is. Position 0 is due at t0 unless the
// rate is zero throughout: a zero-rate stage offers no call.
func (s segment) dueAt(k float64) (time.Time, bool) {
	if k <= 0 {
		if s.r1 <= 0 && (s.r0 <= 0 || s.ramp <= 0) {
			return time.Time{}, false
		}
		return s.t0, true
	}
	T := s.ramp.Seconds()
	var secs float64
	rampCalls := (s.r0 + s.r1) / 2 * T
	switch {
	case T > 0 && k <= rampCalls:
		// N(t) = r0 t + a t², a = (r1-r0)/(2T)
		a := (s.r1 - s.r0) / (2 * T)
		if math.Abs(a) < 1e-12 {
			if s.r0 <= 0 {
				return time.Time{}, false
			}
			secs = k / s.r0
		} else {
			disc := s.r0*s.r0 + 4*a*k
			if disc < 0 {
				return time.Time{}, false
			}
			// The root of r0 t + a t² = k in [0, T]; this form keeps
			// its precision when a is small next to r0.
			secs = 2 * k / (s.r0 + math.Sqrt(disc))
		}
	default:
		if s.r1 <= 0 {
			return time.Time{}, false
		}
		base, rc := 0.0, 0.0
		if T > 0 {
			base, rc = T, rampCalls
		}
		secs = base + (k-rc)/s.r1
	}
	if secs > 1e9 {
		return time.Time{}, false
	}
	return s.t0.Add(time.Duration(secs * float64(time.Second))), true
}

// rampLeft returns how much of the ramp remains at t.
func (s segment) rampLeft(t time.Time) time.Duration {
	if s.ramp <= 0 {
		return 0
	}
	left := s.ramp - t.Sub(s.t0)
	if left < 0 {
		return 0
	}
	return left
}

// wrr is a smooth weighted round robin (as nginx balances upstreams): over
// any window of sum(weights) picks each item appears weight times,
// interleaved rather than in runs. Weights may change between picks.
type wrr struct {
	cur []int
}

// pick returns the index chosen for weights w, or -1 if all are zero.
func (r *wrr) pick(w []int) int {
	for len(r.cur) < len(w) {
		r.cur = append(r.cur, 0)
	}
	best, total := -1, 0
	for i, x := range w {
		if x <= 0 {
			r.cur[i] = 0
			continue
		}
		r.cur[i] += x
		total += x
		if best < 0 || r.cur[i] > r.cur[best] {
			best = i
		}
	}
	if best >= 0 {
		r.cur[best] -= total
	}
	return best
}
