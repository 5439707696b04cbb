package dialer

import (
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SetRate changes the target rate (calls per second) live.
func (o *Originator) SetRate(r float64) error {
	if r <= 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return fmt.Errorf("dialer: rate %v must be positive", r)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rate = r
	o.recomputeDuration()
	o.rebase(time.Now(), o.seg.rampLeft(time.Now()))
	return nil
}

// SetRamp restarts a linear ramp from the current rate to the target rate
// over d (0: jump to it).
func (o *Originator) SetRamp(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ramp = d
	o.rebase(time.Now(), d)
}

// rebase restarts the schedule at now from the current rate; o.mu held.
func (o *Originator) rebase(now time.Time, ramp time.Duration) {
	if o.state == Originating {
		o.seg = segment{t0: now, n0: o.offered, r0: o.seg.rateAt(now), r1: o.rate, ramp: ramp}
	}
	o.notify()
}

// SetLimit changes the concurrent call limit live.
func (o *Originator) SetLimit(n int) error {
	if n <= 0 {
		return fmt.Errorf("dialer: limit %d must be positive", n)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.limit = n
	o.recomputeDuration()
	o.notify()
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
}

// SetDuration changes the hold time of calls offered from now on (0:
// automatic, Limit/Rate + AutoDurationOffset).
func (o *Originator) SetDuration(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.duration, o.autoDuration = d, d <= 0
	o.recomputeDuration()
}

// recomputeDuration applies the automatic duration; o.mu held.
func (o *Originator) recomputeDuration() {
	if o.autoDuration {
		o.duration = time.Duration(float64(o.limit)/o.rate*float64(time.Second)) + o.cfg.AutoDurationOffset
	}
}

// Duration returns the hold time given to new calls.
func (o *Originator) Duration() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.duration
}

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
