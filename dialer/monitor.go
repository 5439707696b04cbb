package dialer

import "time"

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
			wasDown := s.down
			s.down = s.c.Conn() == nil || len(s.queue) == cap(s.queue)
			if s.down && !wasDown {
				down = append(down, s.addr)
			}
			for len(s.pendingQ) > 0 && s.pendingQ[0].jobDone {
				s.pendingQ[0] = nil
				s.pendingQ = s.pendingQ[1:]
			}
			var oldest time.Duration
			if len(s.pendingQ) > 0 {
				oldest = o.since(now) - s.pendingQ[0].offered
			}
			queued := 0
			if conn := s.c.Conn(); conn != nil {
				queued = conn.Stats().EventsQueued
			}
			s.sat.tick(now, s.pending, oldest, o.cfg.SaturationLatency, queued)
		}
		if n%4 == 0 {
			o.sweep(now)
		}
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

// sweep ends calls whose result or hang-up is long overdue (their server
// or connection went away); o.mu held.
func (o *Originator) sweep(now time.Time) {
	t := o.since(now)
	grace := 30 * time.Second
	var lost []*call
	for _, c := range o.calls {
		switch {
		case !c.jobDone && t-c.offered > o.cfg.OriginateTimeout+grace:
			lost = append(lost, c)
		case c.answered != 0 && c.hold > 0 && t-c.answered > c.hold+o.cfg.Margin+grace:
			lost = append(lost, c)
		}
	}
	for _, c := range lost {
		// Answered calls become abandoned, the others failed, both
		// under switchio's own cause.
		c.cause = CauseLost
		o.release(c, now)
	}
}
