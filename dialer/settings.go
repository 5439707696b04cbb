package dialer

import (
	"fmt"
	"math"
	"strconv"
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
	o.logChange("rate", strconv.FormatFloat(r, 'g', -1, 64))
	return nil
}

// SetRamp restarts a linear ramp from the current rate to the target rate
// over d (0: jump to it).
func (o *Originator) SetRamp(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ramp = d
	o.rebase(time.Now(), d)
	o.logChange("ramp", d.String())
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
	o.logChange("limit", strconv.Itoa(n))
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
// automatic, Limit/Rate + AutoDurationOffset).
func (o *Originator) SetDuration(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.duration, o.autoDuration = d, d <= 0
	o.recomputeDuration()
	o.logChange("duration", d.String())
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

// Change is one setting changed while the dialer ran (SetRate, SetLimit,
// SetDuration, SetMaxOffered, SetRamp, SetServerLimit, SetWeight), for the
// summary and the report.
type Change struct {
	// At is when, from the first offer (negative: before it).
	At time.Duration `json:"-"`
	// AtS is At in seconds, for JSON.
	AtS float64 `json:"at_s"`
	// Setting is the setting's name ("rate", "weight <app>" ...); Value
	// its new value, as text.
	Setting string `json:"setting"`
	Value   string `json:"value"`
}

// maxChanges bounds the change log: a program turning a knob in a loop
// must not grow the summary without end.
const maxChanges = 1000

// logChange logs a setting's change once the dialer has started; o.mu held.
func (o *Originator) logChange(setting, value string) {
	if o.startedAt == 0 && o.firstOffer == 0 || len(o.changes) >= maxChanges {
		return
	}
	at := o.since(time.Now()) - o.firstOffer
	o.changes = append(o.changes, Change{At: at, AtS: round2(at.Seconds()), Setting: setting, Value: value})
}
