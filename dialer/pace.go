package dialer

import (
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// pace is the pacer: it offers call n at the time the schedule gives it,
// catching up when late, and waits (without spinning) when every slot is
// taken or every server is full.
func (o *Originator) pace() {
	defer o.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait, blocked := o.step()
		if wait < 0 {
			return
		}
		if o.stageEntered.Swap(false) {
			o.tellApps()
		}
		if wait == 0 {
			continue
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-o.ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
		if blocked {
			o.mu.Lock()
			o.unblocked()
			o.mu.Unlock()
		}
	}
}

// unblocked restarts the schedule after a wait for a slot, so calls
// missed meanwhile are skipped instead of sent in a burst; o.mu held.
func (o *Originator) unblocked() {
	if o.state != Originating {
		return
	}
	now := time.Now()
	if due, ok := o.seg.dueAt(o.tr.next); ok && now.Sub(due) > o.cfg.CatchUp {
		o.restart(now)
	}
}

// restart restarts the schedule at now with the next call due at once,
// on from the current rate (and what is left of a ramp or stage): after
// a lag beyond CatchUp, so missed calls are skipped, not burst; o.mu
// held.
func (o *Originator) restart(now time.Time) {
	o.seg = segment{t0: now, r0: o.seg.rateAt(now), r1: o.seg.r1, ramp: o.seg.rampLeft(now)}
	o.tr.next = 0
}

// startSchedule starts (or resumes) the schedule at now; o.mu held.
func (o *Originator) startSchedule(now time.Time) error {
	switch {
	case o.tr.stage < 0:
		// The pacer enters the first stage at once.
		o.seg = segment{t0: now}
		o.tr.stageEnd = now
	case o.tr.staged():
		// Resumed within a stage (its clock ran on while stopped).
		o.seg = segment{t0: now, r0: o.seg.rateAt(now), r1: o.seg.r1, ramp: o.seg.rampLeft(now)}
	case o.rate <= 0:
		return errors.New("dialer: the rate is 0 (where the load profile ended): SetRate first")
	default:
		r0 := o.rate
		if o.ramp > 0 {
			r0 = 0
		}
		o.seg = segment{t0: now, r0: r0, r1: o.rate, ramp: o.ramp}
	}
	o.tr.next = o.tr.first()
	return nil
}

// nextDue returns when the next call is due, after entering the stages of
// the load profile that now has reached. wait > 0 when it is not due in
// the current stage (then wait until the stage ends) or never is (zero
// rate: check again in wait); over when the profile has ended. o.mu held.
func (o *Originator) nextDue(now time.Time) (due time.Time, wait time.Duration, over bool) {
	if o.tr.staged() && o.advanceStages(now) {
		return time.Time{}, 0, true
	}
	due, ok := o.seg.dueAt(o.tr.next)
	if o.tr.staged() && (!ok || !due.Before(o.tr.stageEnd)) {
		// Due in a later stage (or never in this one).
		return due, o.tr.stageEnd.Sub(now), false
	}
	if !ok {
		return due, time.Second, false
	}
	return due, 0, false
}

// advanceStages enters the next stages of the load profile whose start
// (the current stage's end) now has reached, once the calls due before
// it are out; it reports that the profile is over. o.mu held.
func (o *Originator) advanceStages(now time.Time) bool {
	for o.tr.staged() {
		if o.tr.stage >= 0 {
			if now.Before(o.tr.stageEnd) {
				return false
			}
			if due, ok := o.seg.dueAt(o.tr.next); ok && due.Before(o.tr.stageEnd) {
				return false
			}
		}
		at := o.tr.stageEnd
		st, ok := o.tr.enterStage(&o.seg, at)
		if !ok {
			o.logChangeAt(at, "stages", "done")
			return true
		}
		o.rate = st.Rate
		o.recomputeDuration()
		v := strconv.FormatFloat(st.Rate, 'g', -1, 64) + " cps over " + st.Duration.String()
		if st.Duration == 0 {
			v = strconv.FormatFloat(st.Rate, 'g', -1, 64) + " cps at once"
		}
		o.logChangeAt(at, "stage "+strconv.Itoa(o.tr.stage+1)+"/"+strconv.Itoa(len(o.tr.stages)), v)
		o.stageEntered.Store(true)
	}
	return false
}

// step offers every call that is due and returns how long to wait before
// the next one (0: go again, <0: closed) and whether the wait is for a
// free slot.
func (o *Originator) step() (time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return -1, false
	}
	for sent := 0; ; sent++ {
		if o.state != Originating {
			return time.Hour, false
		}
		if o.maxOffered > 0 && o.offered >= o.maxOffered {
			o.setState(Stopped)
			return time.Hour, false
		}
		now := time.Now()
		due, wait, over := o.nextDue(now)
		if over {
			o.setState(Stopped)
			return time.Hour, false
		}
		if wait > 0 {
			return wait, false
		}
		if lag := now.Sub(due); lag > o.cfg.CatchUp {
			// Too late to catch up (a stall, a long GC, a slow host):
			// restart the schedule from now rather than burst.
			o.restart(now)
			due = now
		} else if lag < 0 {
			return -lag, false
		}
		if o.active >= o.limit {
			return time.Second, true
		}
		s := o.pickServer()
		if s == nil {
			return time.Second, true
		}
		g := o.pickApp()
		if g == nil {
			o.setState(Stopped)
			return time.Hour, false
		}
		hold := o.tr.hold.draw(o.tr.holdRand, o.duration)
		c := &call{uuid: uuid.NewString(), n: o.offered, srv: s, app: g, hold: hold, offered: o.since(now), picked: o.since(now), billmsec: -1}
		select {
		case s.queue <- c:
		default:
			// The server's send queue is full: its connection is stuck.
			s.down = true
			return 10 * time.Millisecond, true
		}
		o.calls[c.uuid] = c
		o.offered++
		o.tr.next += o.tr.gap() // the schedule's next call
		g.calls++
		o.active++
		o.peakActive = max(o.peakActive, o.active)
		s.active++
		s.peakActive = max(s.peakActive, s.active)
		s.pending++
		s.peakBacklog = max(s.peakBacklog, s.pending)
		s.offered++
		if o.firstOffer == 0 {
			o.firstOffer = c.offered
			o.rebaseChanges()
		}
		o.lastOffer = c.offered
		o.winOffered.add(1)
		if sent > 1024 {
			return 0, false // let others take the lock
		}
	}
}

// pickServer returns the server with the lowest load relative to its cap
// that has a free slot, round robin among equals; nil if all are full.
// o.mu held.
func (o *Originator) pickServer() *server {
	var best *server
	var bestLoad float64
	n := len(o.servers)
	for k := 0; k < n; k++ {
		s := o.servers[(o.rrServer+k)%n]
		if s.down || (s.limit > 0 && s.active >= s.limit) {
			continue
		}
		w := float64(s.limit)
		if w <= 0 {
			w = float64(o.limit)
		}
		load := float64(s.active) / w
		if best == nil || load < bestLoad {
			best, bestLoad = s, load
		}
	}
	if best != nil {
		o.rrServer = (best.idx + 1) % n
	}
	return best
}

// pickApp picks the call's app by weighted round robin; o.mu held.
func (o *Originator) pickApp() *appGroup {
	o.weights = o.weights[:0]
	for _, g := range o.apps {
		o.weights = append(o.weights, g.weight)
	}
	i := o.rr.pick(o.weights)
	if i < 0 {
		return nil
	}
	return o.apps[i]
}
