package dialer

import (
	"fmt"
	"strconv"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SetRate changes the target rate (calls per second) live.
func (o *Originator) SetRate(r float64) error {
	if !(r > 0) || r > MaxRate {
		return fmt.Errorf("dialer: rate %v must be positive, at most %g", r, MaxRate)
	}
	defer o.tellApps() // after the unlock
	o.mu.Lock()
	defer o.mu.Unlock()
	o.abandonStages("rate")
	o.rate = r
	o.recomputeDuration()
	o.rebase(time.Now(), o.seg.rampLeft(time.Now()))
	o.logChange("rate", strconv.FormatFloat(r, 'g', -1, 64))
	o.recheckLimits() // raise the servers' limits if the run now needs more
	return nil
}

// SetRamp restarts a linear ramp from the current rate to the target rate
// over d (0: jump to it).
func (o *Originator) SetRamp(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.abandonStages("ramp")
	o.ramp = d
	o.rebase(time.Now(), d)
	o.logChange("ramp", d.String())
}

// abandonStages ends a load profile still to run: a rate or ramp set by
// hand takes over from it; o.mu held.
func (o *Originator) abandonStages(by string) {
	if o.tr.staged() {
		o.tr.stage = len(o.tr.stages)
		o.logChange("stages", "abandoned (by "+by+")")
	}
}

// rebase restarts the schedule at now from the current rate, keeping the
// next call's place in the integrated-rate domain (so a Poisson process
// stays one, and an even spacing carries on at the new rate); o.mu held.
func (o *Originator) rebase(now time.Time, ramp time.Duration) {
	if o.state == Originating {
		left := max(o.tr.next-o.seg.count(now), 0)
		o.seg = segment{t0: now, r0: o.seg.rateAt(now), r1: o.rate, ramp: ramp}
		o.tr.next = left
	}
	o.notify()
}

// SetLimit changes the concurrent call limit live.
func (o *Originator) SetLimit(n int) error {
	if n <= 0 {
		return fmt.Errorf("dialer: limit %d must be positive", n)
	}
	defer o.tellApps() // after the unlock
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limit = n
	o.recomputeDuration()
	o.notify()
	o.logChange("limit", strconv.Itoa(n))
	o.recheckLimits() // raise the servers' limits if the run now needs more
	return nil
}

// SetServerLimit changes one server's concurrent call cap (0: none).
func (o *Originator) SetServerLimit(addr string, n int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.servers {
		if s.addr == addr {
			s.limit = n
			o.notify()
			o.logChange("server_limit "+addr, strconv.Itoa(n))
			o.recheckLimits() // raise the servers' limits if the run now needs more
			return nil
		}
	}
	return fmt.Errorf("dialer: no server %s", addr)
}

// SetMaxOffered changes the total number of calls to offer (0: no cap).
func (o *Originator) SetMaxOffered(n uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxOffered = n
	o.notify()
	o.logChange("max_offered", strconv.FormatUint(n, 10))
}

// SetDuration changes the hold time of calls offered from now on (0:
// automatic, Limit/Rate + AutoDurationOffset); every call is then held
// that long (it replaces a hold distribution).
func (o *Originator) SetDuration(d time.Duration) {
	defer o.tellApps() // after the unlock
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tr.hold.Kind != HoldFixed {
		o.tr.hold = HoldDist{}
		o.logChange("duration_dist", "fixed")
	}
	o.duration, o.autoDuration = d, d <= 0
	o.recomputeDuration()
	o.logChange("duration", d.String())
}

// SetHoldDist changes the distribution the hold time of calls offered
// from now on is drawn from (HoldFixed: Duration).
func (o *Originator) SetHoldDist(h HoldDist) error {
	if err := h.Validate(); err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	defer o.tellApps() // after the unlock
	o.mu.Lock()
	defer o.mu.Unlock()
	if h.Kind == HoldFixed && o.tr.hold.Kind != HoldFixed && !o.autoDuration {
		// Back to the fixed Duration it replaced.
		o.duration = o.cfg.Duration
	}
	o.tr.hold = h
	o.recomputeDuration()
	o.logChange("duration_dist", h.String())
	return nil
}

// recomputeDuration applies the hold distribution's mean or the
// automatic duration; o.mu held.
func (o *Originator) recomputeDuration() {
	if o.tr.hold.Kind != HoldFixed {
		o.duration = o.tr.hold.MeanHold()
		return
	}
	if !o.autoDuration {
		return
	}
	r := o.rate
	if r <= 0 {
		r = o.tr.peakRate() // a stage's target of 0
	}
	if r > 0 {
		o.duration = time.Duration(float64(o.limit)/r*float64(time.Second)) + o.cfg.AutoDurationOffset
	}
}

// Duration returns the hold time given to new calls: their mean hold
// with a hold distribution.
func (o *Originator) Duration() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.duration
}

// MaxHold returns the longest hold a new call may get: Duration, or the
// hold distribution's clip (HoldDist.MaxHold). A drain that waits for
// every call to end waits this long.
func (o *Originator) MaxHold() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tr.hold.Kind != HoldFixed {
		return o.tr.hold.MaxHold()
	}
	return o.duration
}

// Seed returns the seed of the dialer's random streams: Config.Seed, or
// the one drawn when it was 0.
func (o *Originator) Seed() uint64 { return o.tr.seed }

// Rate returns the target rate.
func (o *Originator) Rate() float64 { o.mu.Lock(); defer o.mu.Unlock(); return o.rate }

// Limit returns the concurrent call limit.
func (o *Originator) Limit() int { o.mu.Lock(); defer o.mu.Unlock(); return o.limit }

// MaxOffered returns the total number of calls to offer (0: no cap).
func (o *Originator) MaxOffered() uint64 { o.mu.Lock(); defer o.mu.Unlock(); return o.maxOffered }

// since returns t as an offset from the dialer's epoch (monotonic).
func (o *Originator) since(t time.Time) time.Duration { return t.Sub(o.epoch) }

// at converts an epoch offset back to wall time.
func (o *Originator) at(d time.Duration) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return o.epoch.Add(d)
}

func newHist() *hdrhistogram.Histogram {
	// 1 µs .. 1 h at 2 significant digits (~20 KB).
	return hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2)
}

// maxChanges bounds the change log: a program turning a knob in a loop
// must not grow the summary without end.
const maxChanges = 1000

// logChange logs a setting's change once the dialer has started; o.mu held.
func (o *Originator) logChange(setting, value string) { o.logChangeAt(time.Now(), setting, value) }

// logChangeAt logs a change that took effect at t (a stage's start); o.mu
// held.
func (o *Originator) logChangeAt(t time.Time, setting, value string) {
	if o.startedAt == 0 && o.firstOffer == 0 || len(o.changes) >= maxChanges {
		return
	}
	e := o.since(t)
	at := e - o.firstOffer
	o.changes = append(o.changes, summary.Change{At: at, AtS: round2(at.Seconds()), Setting: setting, Value: value})
	o.changedAt = append(o.changedAt, e)
}

// rebaseChanges makes the changes logged before the first offer (a
// stage entered at Start) count from it; o.mu held.
func (o *Originator) rebaseChanges() {
	for i := range o.changes {
		c := &o.changes[i]
		c.At = o.changedAt[i] - o.firstOffer
		c.AtS = round2(c.At.Seconds())
	}
}
