package dialer

import (
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/esl"
)

// endReason is why switchio hung a call up, if it did.
type endReason uint8

const (
	endNone    endReason = iota
	endHold              // its hold time ran out
	endAbandon           // Hupall, drain, interrupt
	endApp               // its app ended it as planned (appkit.MarkCompleted)
)

// call is the dialer's record of one offered call, from the moment it is
// picked until its last leg is destroyed. Times are offsets from the
// dialer's epoch (monotonic clock); 0 means not reached.
type call struct {
	uuid    string // A leg uuid = Job-UUID = correlation key
	n       uint64
	srv     *server
	app     *appGroup
	hold    time.Duration
	picked  time.Duration // handed to a sender
	offered time.Duration // picked, then sent
	acked   time.Duration
	// created is when the A leg's CHANNEL_CREATE came: the server took
	// the originate on. Until then (or a result) it is queued there.
	created time.Duration
	jobAt   time.Duration // BACKGROUND_JOB result
	// ringing and earlyMedia are the originating leg's CHANNEL_PROGRESS
	// (180) and CHANNEL_PROGRESS_MEDIA (183); answered its CHANNEL_ANSWER.
	ringing, earlyMedia time.Duration
	answered            time.Duration
	hungUp              time.Duration
	cause               string
	// billmsec is the A leg's billmsec from CHANNEL_HANGUP_COMPLETE (-1:
	// not reported).
	billmsec int64
	// seenEnd is set when the A leg's server reported its end
	// (CHANNEL_HANGUP_COMPLETE, or a CHANNEL_DESTROY it sent): only such
	// a call can be completed or dropped.
	seenEnd bool
	// giveUp is switchio's cause when it gave the call up or cancelled
	// it (a hupall, an interrupt, a drain, a lost server): the call's
	// cause whatever its server reports afterwards.
	giveUp   string
	legs     int16
	sent     bool
	jobDone  bool
	jobOK    bool
	released bool
	endBy    endReason
	// cutOnCreate: HangupCalls gave the call up before its A leg showed
	// up; it is hung up when it does.
	cutOnCreate bool
	timer       *time.Timer
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
	hangups hangupQueue

	active, pending         int
	peakActive, peakBacklog int
	// queued counts the originates written and not yet taken on (no A
	// leg, no result): the server's own queue, where an overloaded
	// FreeSWITCH holds them (see saturation). peakQueued is its peak.
	queued, peakQueued int
	create             *hdrhistogram.Histogram // originate written to the A leg's CHANNEL_CREATE
	offered, answered  uint64
	failed             uint64
	byCause            map[string]uint64
	setup              *hdrhistogram.Histogram
	pendingQ           []*call // sent order; completed heads are popped
	// down is true while the connection is lost (since downSince); lost
	// once it has been down for Config.ServerTimeout.
	down, lost bool
	downSince  time.Time
	// seenConn is the connection the monitor saw last: a different one at
	// the next tick means the connection was lost and came back between
	// two ticks, a loss to report all the same.
	seenConn *esl.Conn
	sat      saturation
}

// callOf returns the tracked call of an event, if it is one of ours; o.mu
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

// trackedEvents are the events observe handles; the progress events are
// subscribed by New (the cluster core does not need them).
var trackedEvents = []string{"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA"}

// observe runs on each server's event loop for every event.
func (o *Originator) observe(s *server, e *cluster.Event) {
	switch e.Key {
	case "BACKGROUND_JOB", "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
		"CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY":
	default:
		return
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	if e.Key == "BACKGROUND_JOB" {
		o.observeJob(e, now)
		return
	}
	c := o.callOf(e)
	if c == nil {
		return
	}
	aLeg := e.Session.UUID() == c.uuid
	switch e.Key {
	case "CHANNEL_CREATE":
		c.legs++
		if aLeg {
			o.takenOn(c, now)
			o.hangUpCut(c)
		}
		if o.killing && aLeg {
			o.abandon(c)
		}
	case "CHANNEL_PROGRESS":
		if aLeg && c.ringing == 0 {
			c.ringing = o.since(now)
		}
	case "CHANNEL_PROGRESS_MEDIA":
		if aLeg && c.earlyMedia == 0 {
			c.earlyMedia = o.since(now)
		}
	case "CHANNEL_ANSWER":
		if aLeg {
			o.answer(c, now)
		}
	case "CHANNEL_HANGUP_COMPLETE":
		if aLeg {
			o.observeHangup(c, e, now)
		}
	case "CHANNEL_DESTROY":
		o.observeDestroy(c, e, aLeg, now)
	}
}

// observeJob takes an originate's result (its BACKGROUND_JOB); o.mu held.
func (o *Originator) observeJob(e *cluster.Event, now time.Time) {
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
}

// observeHangup takes the A leg's CHANNEL_HANGUP_COMPLETE: its cause and
// the billmsec the server measured; o.mu held.
func (o *Originator) observeHangup(c *call, e *cluster.Event, now time.Time) {
	c.seenEnd = true
	c.hungUp = o.since(now)
	o.endedByApp(c, e)
	if c.cause == "" {
		c.cause = internCause(e.HangupCause())
	}
	if v := e.Get("variable_billmsec"); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			c.billmsec = ms
		}
	}
}

// observeDestroy takes a leg's CHANNEL_DESTROY, releasing the call once
// its last leg is gone; o.mu held.
func (o *Originator) observeDestroy(c *call, e *cluster.Event, aLeg bool, now time.Time) {
	c.legs--
	if aLeg {
		o.endedByApp(c, e)
		if e.Get(cluster.SynthesizedHeader) != "" {
			// Made up by the client: the server never said. Its
			// originate's result went with the connection too: the
			// call is over, not waiting for the sweep.
			cause := ownCause(e.HangupCause())
			o.giveUpOn(c, cause)
			if !c.jobDone {
				o.jobResult(c, false, cause, now)
			}
		} else {
			c.seenEnd = true
		}
	}
	if aLeg && c.cause == "" {
		c.cause = internCause(e.HangupCause())
	}
	o.maybeRelease(c, now)
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

// answer records the originating leg's CHANNEL_ANSWER: the call is
// answered (early media is not), its set-up latency is known and its hold
// time starts; o.mu held.
func (o *Originator) answer(c *call, now time.Time) {
	if c.answered != 0 || c.released {
		return
	}
	s := c.srv
	t := o.since(now)
	c.answered = t
	o.answered++
	s.answered++
	if o.firstAnswer == 0 {
		o.firstAnswer = t
	}
	o.lastAnswer = t
	o.winAnswered.add(1)
	lat := t - c.offered
	_ = o.setup.RecordValue(int64(lat / time.Microsecond))
	_ = s.setup.RecordValue(int64(lat / time.Microsecond))
	if o.killing {
		o.abandon(c)
		return
	}
	if !o.cfg.ServerHangup && c.hold > 0 && c.app.selfEnding == nil {
		c.timer = time.AfterFunc(c.hold, func() { o.holdExpired(c) })
	}
}

// endedByApp notes a call whose self-ending app marked it completed
// (appkit.MarkCompleted) before hanging it up; o.mu held.
func (o *Originator) endedByApp(c *call, e *cluster.Event) {
	if c.endBy == endNone && c.app.selfEnding != nil && appkit.Completed(e.Session.Call()) {
		c.endBy = endApp
	}
}

// holdExpired hangs up a call whose hold time ran out.
func (o *Originator) holdExpired(c *call) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || c.released || c.endBy != endNone {
		return
	}
	c.endBy = endHold
	c.srv.hangups.push(c.uuid)
}

// abandon hangs up a call switchio gives up on, under the cause of the
// hupall in progress; o.mu held.
func (o *Originator) abandon(c *call) {
	if c.released || c.endBy != endNone {
		return
	}
	c.endBy = endAbandon
	o.giveUpOn(c, o.killCause)
	c.srv.hangups.push(c.uuid)
}

// giveUpOn records that switchio gave the call up, or cancelled it, with
// cause, unless its end was already seen or another reason came first;
// o.mu held.
func (o *Originator) giveUpOn(c *call, cause string) {
	if c.giveUp == "" && !c.seenEnd && cause != "" {
		c.giveUp = cause
	}
}

// jobResult records the originate's result (the call is answered only at
// its CHANNEL_ANSWER); o.mu held.
func (o *Originator) jobResult(c *call, ok bool, cause string, now time.Time) {
	if c.jobDone || c.released {
		return
	}
	s := c.srv
	c.jobDone, c.jobOK = true, ok
	s.pending--
	t := o.since(now)
	c.jobAt = t
	o.takenOn(c, now)
	if !ok {
		c.cause = cause
	}
	o.maybeRelease(c, now)
}

// takenOn notes that the server took the originate on: its A leg was
// created, or it has a result without one (refused). The time it took
// is the server's own; a far end that rings or answers late has no part
// in it (saturation). o.mu held.
func (o *Originator) takenOn(c *call, now time.Time) {
	if !o.dequeue(c, now) {
		return
	}
	s := c.srv
	lat := c.created - c.offered
	s.sat.done(lat)
	_ = s.create.RecordValue(max(int64(lat/time.Microsecond), 1))
}

// dequeue takes a sent call off its server's queue of originates not yet
// taken on, once; it reports whether it did. o.mu held.
func (o *Originator) dequeue(c *call, now time.Time) bool {
	if c.created != 0 || !c.sent {
		return false
	}
	c.created = max(o.since(now), 1)
	c.srv.queued--
	return true
}

// maybeRelease frees the call's slot once its originate has a result and
// its legs are gone; o.mu held.
func (o *Originator) maybeRelease(c *call, now time.Time) {
	if c.released || !c.jobDone || c.legs > 0 {
		return
	}
	o.release(c, now)
}

// outcome classifies an ended call; o.mu held. A call switchio gave up
// on, or whose end its server never reported (a hold's hang-up that
// never landed, a server lost, a reconnect that lost it), is abandoned,
// never completed: switchio cannot say it was held to the end.
func (o *Originator) outcome(c *call) Outcome {
	switch {
	case c.answered == 0:
		return Failed
	case c.giveUp != "", !c.seenEnd, c.endBy == endAbandon:
		return Abandoned
	case c.endBy == endHold, c.endBy == endApp:
		return Completed
	case c.cause == guardCause:
		// The server's guard fired: held at least its hold time.
		return Completed
	case o.cfg.ServerHangup && c.cause == "NORMAL_CLEARING" && c.hungUp-c.answered >= c.hold-time.Second:
		// The server's sched_hangup, run on whole seconds, may end a call
		// up to a second early (see Config.ServerHangup).
		return Completed
	}
	return Dropped
}

// serverEnded reports whether c, of outcome out, was ended by its
// server's scheduled hang-up (sched_hangup, set at originate time): the
// guard, or the hold itself with Config.ServerHangup. The A leg's
// sip_hangup_disposition cannot tell: FreeSWITCH sets send_bye on an
// answered leg it hangs up whatever asked it to (sofia_on_hangup,
// mod_sofia.c), switchio's uuid_kill and the scheduler alike; o.mu held.
func (o *Originator) serverEnded(c *call, out Outcome) bool {
	if out != Completed || c.endBy == endHold || c.endBy == endApp {
		return false
	}
	return c.cause == guardCause || o.cfg.ServerHangup
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
	o.dequeue(c, now) // released without being taken on: no latency
	delete(o.calls, c.uuid)
	o.active--
	s.active--
	t := o.since(now)
	o.lastEnd = t
	if c.hungUp == 0 {
		c.hungUp = t
	}
	if c.answered != 0 && !c.seenEnd {
		o.giveUpOn(c, CauseLost) // its end never reported, and no other reason known
	}
	if c.giveUp != "" {
		// switchio's doing: its cause, never the far end's.
		c.cause = c.giveUp
	}
	c.cause = orUnknown(c.cause)
	out := o.outcome(c)
	switch out {
	case Failed:
		cause := orUnknown(c.cause)
		o.failed++
		o.byCause[cause]++
		s.failed++
		s.byCause[cause]++
	case Completed:
		o.completed++
		if d, ok := o.holdError(c); ok && c.app.selfEnding == nil {
			_ = o.holdErr.RecordValue(int64(absDur(d) / time.Microsecond))
			if d < -holdTolerance {
				o.heldShort++
			}
			if absDur(d) <= holdTolerance {
				o.heldWithin++
			}
		}
	case Dropped:
		o.dropped++
		o.droppedByCause[orUnknown(c.cause)]++
	case Abandoned:
		o.abandoned++
	}
	if o.cfg.OnCall != nil {
		o.records = append(o.records, o.record(c, out))
		if len(o.records) >= 256 {
			signal(o.recordsWake)
		}
	}
	o.notify()
}

// guardCause is the cause of the server-side guard hang-up of the
// controller hang-up mode, so its firing can be told apart.
const guardCause = "ALLOTTED_TIMEOUT"

// holdTolerance is how far a completed call's hold may be from the
// asked-for hold and still count as exact.
const holdTolerance = 50 * time.Millisecond

// holdError is how much longer (or shorter, negative) the call was held
// than asked: the server's billmsec when reported, else the local answer
// to hang-up time.
func (o *Originator) holdError(c *call) (time.Duration, bool) {
	if c.hold <= 0 || c.answered == 0 {
		return 0, false
	}
	if c.billmsec >= 0 {
		return time.Duration(c.billmsec)*time.Millisecond - c.hold, true
	}
	return c.hungUp - c.answered - c.hold, true
}

func orUnknown(cause string) string {
	if cause == "" {
		return "UNKNOWN"
	}
	return cause
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// releaseAll ends every call still tracked under cause (answered ones
// abandoned, the others failed), so each offered call has its record
// even when its end will never be seen; o.mu held.
func (o *Originator) releaseAll(cause string, now time.Time) {
	for _, c := range o.calls {
		if c.released {
			continue
		}
		if c.endBy == endNone {
			c.endBy = endAbandon
		}
		if !(c.answered == 0 && c.jobDone) {
			// not a failure the server already gave its cause for
			o.giveUpOn(c, cause)
		}
		o.release(c, now)
	}
}
