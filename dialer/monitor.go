package dialer

import (
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/esl"
)

// monitor updates windowed rates and saturation every 250 ms, notices
// lost connections and calls whose end never came.
func (o *Originator) monitor() {
	defer o.wg.Done()
	t := time.NewTicker(tick)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-o.ctx.Done():
			return
		case <-t.C:
		}
		n++
		var down []string
		now := time.Now()
		o.mu.Lock()
		o.winOffered.next()
		o.winAnswered.next()
		for _, s := range o.servers {
			if o.checkConn(s, now) {
				down = append(down, s.addr)
			}
			if !s.down {
				// A server that cannot be reached is not saturated: its
				// originates wait for the connection, not for its CPU.
				o.checkSaturation(s, now)
			}
		}
		if n%4 == 0 {
			o.sweep(now)
			o.host.sample(now, o.state == Originating)
		}
		o.checkAllLost()
		if !o.closed && len(down) > 0 {
			o.notify()
		}
		o.mu.Unlock()
		if o.cfg.OnServerDown != nil {
			for _, a := range down {
				o.cfg.OnServerDown(a)
			}
		}
	}
}

// sweep ends calls whose result, answer or hang-up is long overdue (their
// server or connection went away): every call in flight is released
// within a bounded time, so nothing waits on it for ever; o.mu held.
func (o *Originator) sweep(now time.Time) {
	t := o.since(now)
	grace := 30 * time.Second
	var lost []*call
	for _, c := range o.calls {
		switch {
		case !c.jobDone && t-c.offered > o.cfg.OriginateTimeout+grace:
			lost = append(lost, c)
		case c.answered != 0 && c.hold > 0 && t-c.answered > c.app.guardHold(c.hold)+o.cfg.Margin+grace:
			lost = append(lost, c)
		case c.jobDone && c.answered == 0 && t-c.jobAt > o.cfg.OriginateTimeout+grace:
			// A result came but no answer, and a leg's end never did
			// (its CHANNEL_DESTROY was lost with a connection).
			lost = append(lost, c)
		}
	}
	for _, c := range lost {
		// Answered calls become abandoned, the others failed, both
		// under switchio's own cause.
		o.giveUpOn(c, CauseLost)
		o.release(c, now)
	}
}

// serverLost gives up on a server unreachable for Config.ServerTimeout:
// its calls (sent or still queued for it) are released under
// CauseServerLost (answered ones abandoned, the others failed) and it
// gets no calls until its connection is back; o.mu held.
func (o *Originator) serverLost(s *server, now time.Time) {
	s.lost = true
	n := 0
	for _, c := range o.calls {
		if c.srv != s || c.released {
			continue
		}
		o.giveUpOn(c, CauseServerLost)
		if c.answered != 0 && c.endBy == endNone {
			c.endBy = endAbandon
		}
		o.release(c, now)
		n++
	}
	o.lostServers = append(o.lostServers, summary.LostServer{Addr: s.addr, After: o.since(s.downSince) - o.firstOffer, Calls: n})
	o.log.Warn("server lost", "server", s.addr, "calls", n)
}

// checkAllLost stops the run when every server is lost; o.mu held.
func (o *Originator) checkAllLost() {
	for _, s := range o.servers {
		if !s.lost {
			return
		}
	}
	if !o.allLost {
		o.allLost = true
		o.log.Warn("every server lost: stopping")
	}
	if o.state == Originating {
		o.setState(Stopped)
	}
}

// eventsWaiting is how many of a server's events the controller has not
// handled yet: those queued on the connection, and those still in the
// socket's receive queue (the cluster handles events on the reader, so a
// controller that falls behind leaves them there), counted at the mean
// size of the events read so far.
func eventsWaiting(st esl.Stats) int {
	n := st.EventsQueued
	if st.BytesUnread > 0 && st.BytesRead > 0 && st.EventsReceived > 0 {
		n += int(uint64(st.BytesUnread) * st.EventsReceived / st.BytesRead)
	}
	return n
}

// checkConn follows a server's connection: it reports a loss (true) when
// the connection went down since the last tick, or went and came back
// between two ticks; it re-applies the run's limits after a reconnect and
// gives the server up once down for Config.ServerTimeout; o.mu held.
func (o *Originator) checkConn(s *server, now time.Time) (lost bool) {
	wasDown := s.down
	conn := s.c.Conn()
	s.down = conn == nil || len(s.queue) == cap(s.queue)
	if s.down && !wasDown {
		lost = true
		s.downSince = now
	} else if !wasDown && conn != nil && s.seenConn != nil && conn != s.seenConn {
		lost = true // lost and back within a tick
	}
	if conn != nil {
		s.seenConn = conn
	}
	if !o.closed && o.reconnected(s) {
		o.wg.Add(1)
		go o.reapplySetup(s)
	}
	if !s.down {
		s.lost = false
	} else if !s.lost && now.Sub(s.downSince) >= o.cfg.ServerTimeout {
		o.serverLost(s, now)
	}
	return lost
}

// checkSaturation feeds a reachable server's saturation watch: the
// originates it holds, the age of the oldest without an A leg, and the
// events waiting for the controller; o.mu held.
func (o *Originator) checkSaturation(s *server, now time.Time) {
	for len(s.pendingQ) > 0 && (s.pendingQ[0].created != 0 || s.pendingQ[0].jobDone) {
		s.pendingQ[0] = nil
		s.pendingQ = s.pendingQ[1:]
	}
	var oldest time.Duration
	if len(s.pendingQ) > 0 {
		oldest = o.since(now) - s.pendingQ[0].offered
	}
	queued := 0
	if conn := s.c.Conn(); conn != nil {
		queued = eventsWaiting(conn.Stats())
	}
	s.sat.tick(now, s.queued, oldest, o.cfg.SaturationLatency, queued)
}
