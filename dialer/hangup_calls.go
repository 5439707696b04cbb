package dialer

import "strconv"

// HangupCalls hangs up the calls this dialer has up now and keeps
// offering (Hupall stops the run instead). Each call is killed by its own
// uuid (uuid_kill), so a call offered afterwards is not touched; a call
// whose originate is still on its way is hung up as its A leg shows up.
// Their outcome is abandoned (failed for calls not yet answered), under
// CauseHupall. It returns the number of calls it hangs up, and logs the
// change.
func (o *Originator) HangupCalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.calls {
		if c.released || c.seenEnd || c.endBy != endNone {
			continue
		}
		n++
		c.endBy = endAbandon
		o.giveUpOn(c, CauseHupall)
		if c.created != 0 {
			c.srv.hangups.push(c.uuid)
		} else {
			c.cutOnCreate = true
		}
	}
	o.logChange("hang up", strconv.Itoa(n)+" calls, offering goes on")
	return n
}

// hangUpCut hangs up a call HangupCalls gave up on while its
// originate was on its way, now that its A leg shows up; o.mu held.
func (o *Originator) hangUpCut(c *call) {
	if c.cutOnCreate && !c.released {
		c.cutOnCreate = false
		c.srv.hangups.push(c.uuid)
	}
}
