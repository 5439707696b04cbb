package dialer

import "time"

// EndsBy returns when the calls in flight should all have ended if their
// servers and far ends behave, and false when no call is in flight. A
// call still in set-up (ringing, early media, queued on its server) may
// take until its offer plus Config.OriginateTimeout, when its server
// gives it up, and is then held; an answered call ends its hold (a
// self-ending app's longest) after its answer. A drain that waits for
// the calls still up after offering stops waits past this, so far ends
// that ring long are not cut short by a drain sized for the hold alone.
func (o *Originator) EndsBy() (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var last time.Duration
	found := false
	for _, c := range o.calls {
		if c.released {
			continue
		}
		end := o.endsBy(c)
		if !found || end > last {
			last, found = end, true
		}
	}
	if !found {
		return time.Time{}, false
	}
	return o.at(last), true
}

// endsBy is when c should end (offset from the epoch): its answer, or
// while in set-up its offer plus the originate timeout, then its hold;
// o.mu held.
func (o *Originator) endsBy(c *call) time.Duration {
	start := c.answered
	if start == 0 {
		start = c.offered + o.cfg.OriginateTimeout
	}
	return start + c.app.guardHold(c.hold)
}
