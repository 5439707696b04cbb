package dialer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/google/uuid"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
)

// call is the dialer's record of one offered call, from the moment it is
// picked until its last leg is destroyed. Times are offsets from the
// dialer's epoch (monotonic clock).
type call struct {
	uuid     string // A leg uuid = Job-UUID = correlation key
	n        uint64
	srv      *server
	app      *appGroup
	hold     time.Duration
	offered  time.Duration // picked, then sent
	acked    time.Duration
	answered time.Duration // job +OK (originate answered)
	hungUp   time.Duration
	cause    string
	legs     int16
	sent     bool
	jobDone  bool
	jobOK    bool
	released bool
	timer    *time.Timer
}

// server is the dialer's view of one pool server.
type server struct {
	idx  int
	c    *cluster.Client
	addr string
	dest string
	// sipAddr is the server's own SIP address when it was read.
	sipAddr string
	limit   int
	queue   chan *call

	active, pending         int
	peakActive, peakBacklog int
	offered, answered       uint64
	failed                  uint64
	byCause                 map[string]uint64
	setup                   *hdrhistogram.Histogram
	pendingQ                []*call // sent order; completed heads are popped
	down                    bool
	sat                     saturation
}

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
	if due, ok := o.seg.due(o.offered); ok && now.Sub(due) > o.cfg.CatchUp {
		o.seg = segment{t0: now, n0: o.offered, r0: o.seg.rateAt(now), r1: o.seg.r1, ramp: o.seg.rampLeft(now)}
	}
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
		due, ok := o.seg.due(o.offered)
		if !ok {
			return time.Second, false
		}
		if lag := now.Sub(due); lag > o.cfg.CatchUp {
			// Too late to catch up (a stall, a long GC, a slow host):
			// restart the schedule from now rather than burst.
			o.seg = segment{t0: now, n0: o.offered, r0: o.seg.rateAt(now), r1: o.seg.r1, ramp: o.seg.rampLeft(now)}
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
		c := &call{uuid: uuid.NewString(), n: o.offered, srv: s, app: g, hold: o.duration, offered: o.since(now)}
		select {
		case s.queue <- c:
		default:
			// The server's send queue is full: its connection is stuck.
			s.down = true
			return 10 * time.Millisecond, true
		}
		o.calls[c.uuid] = c
		o.offered++
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

// sender writes the server's originates; results arrive as
// BACKGROUND_JOB events, so each sender only waits for the short "+OK
// Job-UUID" acknowledgement and many originates are in flight at once.
func (o *Originator) sender(s *server) {
	defer o.wg.Done()
	for {
		select {
		case <-o.ctx.Done():
			return
		case c := <-s.queue:
			o.send(s, c)
		}
	}
}

func (o *Originator) send(s *server, c *call) {
	cmd, err := o.command(s, c)
	if err == nil {
		o.mu.Lock()
		if c.released {
			// Given up on while queued (its server was unreachable for
			// longer than the originate timeout): never sent.
			o.mu.Unlock()
			return
		}
		c.offered = o.since(time.Now())
		c.sent = true
		s.pendingQ = append(s.pendingQ, c)
		o.mu.Unlock()
		_, err = s.c.BgAPIWithJobUUID(o.ctx, cmd, c.uuid)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		if o.ctx.Err() == nil {
			o.log.Warn("originate not sent", "server", s.addr, "uuid", c.uuid, "err", err)
		}
		o.jobResult(c, false, CauseSendError, time.Now())
		return
	}
	if c.acked == 0 {
		c.acked = o.since(time.Now())
	}
}

// command renders the call's originate.
func (o *Originator) command(s *server, c *call) (string, error) {
	r := o.cfg.Request.ForCall(c.n, o.cfg.PerCall...)
	switch {
	case r.Endpoint == "" && r.Dest == "" || o.cfg.Dests[s.addr] != "":
		r.Dest = s.dest
	case r.Endpoint == "" && r.Gateway == "" && s.sipAddr != "" && !strings.Contains(r.Dest, "@"):
		// A bare user (a per-call number) calls the server itself.
		r.Dest += "@" + s.sipAddr
	}
	r.UUID = c.uuid
	if r.Timeout <= 0 {
		r.Timeout = o.cfg.OriginateTimeout
	}
	r.Headers = append(r.Headers,
		originate.Var{Name: HeaderOriginatingSession, Value: c.uuid},
		originate.Var{Name: HeaderApp, Value: c.app.id})
	if c.hold > 0 {
		secs := int64((c.hold + time.Second - 1) / time.Second)
		cause := "NORMAL_CLEARING"
		if o.cfg.ControllerHangup {
			secs = int64((c.hold + o.cfg.Margin + time.Second - 1) / time.Second)
			cause = "ALLOTTED_TIMEOUT"
		}
		r.Vars = append(r.Vars, originate.Var{Name: "execute_on_answer",
			Value: "sched_hangup +" + strconv.FormatInt(max(secs, 1), 10) + " " + cause})
	}
	return r.Command()
}

// get returns the tracked call of an event, if it is one of ours; o.mu
// held.
func (o *Originator) callOf(e *cluster.Event) *call {
	if e.Session == nil {
		return nil
	}
	k := e.Session.Call()
	if k == nil {
		return nil
	}
	return o.calls[k.Key()]
}

// observe runs on each server's event loop for every event.
func (o *Originator) observe(s *server, e *cluster.Event) {
	switch e.Key {
	case "BACKGROUND_JOB", "CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY":
	default:
		return
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	switch e.Key {
	case "BACKGROUND_JOB":
		c := o.calls[e.Get("Job-UUID")]
		if c == nil || c.jobDone {
			return
		}
		body := e.Body
		if strings.HasPrefix(body, "+OK") {
			o.jobResult(c, true, "", now)
			return
		}
		cause := strings.TrimSpace(strings.TrimPrefix(body, "-ERR"))
		if i := strings.IndexAny(cause, " \r\n"); i >= 0 {
			cause = cause[:i]
		}
		if cause == "" {
			cause = "UNKNOWN"
		}
		o.jobResult(c, false, strings.Clone(cause), now)
	case "CHANNEL_CREATE":
		c := o.callOf(e)
		if c == nil {
			return
		}
		c.legs++
		if o.killing && e.Session.UUID() == c.uuid {
			o.kill(s, c.uuid)
		}
	case "CHANNEL_HANGUP_COMPLETE":
		c := o.callOf(e)
		if c == nil || e.Session.UUID() != c.uuid {
			return
		}
		c.hungUp = o.since(now)
		if c.cause == "" {
			c.cause = internCause(e.HangupCause())
		}
	case "CHANNEL_DESTROY":
		c := o.callOf(e)
		if c == nil {
			return
		}
		c.legs--
		if e.Session.UUID() == c.uuid && c.cause == "" {
			c.cause = internCause(e.HangupCause())
		}
		o.maybeRelease(c, now)
	}
}

func internCause(c string) string {
	switch c {
	case "NORMAL_CLEARING":
		return "NORMAL_CLEARING"
	case "":
		return ""
	}
	return strings.Clone(c)
}

// jobResult records the originate's outcome; o.mu held.
func (o *Originator) jobResult(c *call, ok bool, cause string, now time.Time) {
	if c.jobDone || c.released {
		return
	}
	s := c.srv
	c.jobDone, c.jobOK = true, ok
	s.pending--
	t := o.since(now)
	lat := t - c.offered
	if ok {
		c.answered = t
		o.answered++
		s.answered++
		if o.firstAnswer == 0 {
			o.firstAnswer = t
		}
		o.lastAnswer = t
		o.winAnswered.add(1)
		_ = o.setup.RecordValue(int64(lat / time.Microsecond))
		_ = s.setup.RecordValue(int64(lat / time.Microsecond))
		s.sat.done(lat)
		if o.killing {
			o.kill(s, c.uuid)
		} else if o.cfg.ControllerHangup && c.hold > 0 {
			id := c.uuid
			c.timer = time.AfterFunc(c.hold, func() {
				o.mu.Lock()
				defer o.mu.Unlock()
				if !o.closed {
					o.kill(s, id)
				}
			})
		}
	} else {
		c.cause = cause
		s.sat.done(lat)
	}
	o.maybeRelease(c, now)
}

// maybeRelease frees the call's slot once its originate has a result and
// its legs are gone; o.mu held.
func (o *Originator) maybeRelease(c *call, now time.Time) {
	if c.released || !c.jobDone || c.legs > 0 {
		return
	}
	o.release(c, now)
}

func (o *Originator) release(c *call, now time.Time) {
	c.released = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	s := c.srv
	if !c.jobDone {
		c.jobDone = true
		s.pending--
	}
	delete(o.calls, c.uuid)
	o.active--
	s.active--
	t := o.since(now)
	o.lastEnd = t
	if c.hungUp == 0 {
		c.hungUp = t
	}
	ok := c.jobOK && c.cause == "NORMAL_CLEARING"
	if !ok {
		cause := c.cause
		if cause == "" {
			cause = "UNKNOWN"
		}
		o.failed++
		o.byCause[cause]++
		s.failed++
		s.byCause[cause]++
	}
	if o.cfg.OnCall != nil {
		o.records = append(o.records, o.record(c, ok))
		if len(o.records) >= 256 {
			signal(o.recordsWake)
		}
	}
	o.notify()
}

// kill queues a uuid_kill; o.mu held.
func (o *Originator) kill(s *server, uuid string) {
	o.kills = append(o.kills, killReq{s, uuid})
	signal(o.killWake)
}

// killer sends the queued hang-ups, off the event loops.
func (o *Originator) killer() {
	defer o.wg.Done()
	for {
		select {
		case <-o.ctx.Done():
			return
		case <-o.killWake:
		}
		o.mu.Lock()
		ks := o.kills
		o.kills = nil
		o.mu.Unlock()
		for _, k := range ks {
			if _, err := k.s.c.BgAPI(o.ctx, "uuid_kill "+k.uuid+" NORMAL_CLEARING"); err != nil && o.ctx.Err() == nil {
				o.log.Warn("uuid_kill failed", "server", k.s.addr, "uuid", k.uuid, "err", err)
			}
		}
	}
}

// recorder delivers call records to OnCall.
func (o *Originator) recorder() {
	defer close(o.recordsDone)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		stop := false
		select {
		case <-o.ctx.Done():
			stop = true
		case <-o.recordsWake:
		case <-t.C:
		}
		o.mu.Lock()
		recs := o.records
		o.records = nil
		flushed := o.pendingFlush
		o.pendingFlush = nil
		o.mu.Unlock()
		for _, r := range recs {
			o.cfg.OnCall(r)
		}
		for _, ch := range flushed {
			close(ch)
		}
		if stop {
			return
		}
	}
}

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
		case c.jobOK && c.hold > 0 && t-c.answered > c.hold+o.cfg.Margin+grace:
			lost = append(lost, c)
		}
	}
	for _, c := range lost {
		if c.cause == "" || c.jobOK {
			c.cause = CauseLost
			c.jobOK = false
		}
		o.release(c, now)
	}
}

// OriginateCommand renders the originate the dialer would send next
// through the server at addr (its uuid is a placeholder), like upstream's
// originate_cmd: for logs and checks.
func (o *Originator) OriginateCommand(addr string) (string, error) {
	o.mu.Lock()
	var s *server
	for _, x := range o.servers {
		if x.addr == addr {
			s = x
		}
	}
	if s == nil {
		o.mu.Unlock()
		return "", fmt.Errorf("dialer: no server %s", addr)
	}
	g := &appGroup{id: o.cfg.ID + "-app"}
	if len(o.apps) > 0 {
		g = o.apps[0]
	}
	c := &call{uuid: "00000000-0000-0000-0000-000000000000", n: o.offered, srv: s, app: g, hold: o.duration}
	o.mu.Unlock()
	return o.command(s, c)
}
