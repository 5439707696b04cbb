package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// allocSession applies max_sessions and sps; false means refused.
func (s *Server) allocSession() bool {
	if s.closed || len(s.channels) >= s.maxSessions || s.spsLeft <= 0 {
		return false
	}
	if s.capacity != nil && !s.capacity.admitPorts(len(s.channels)) {
		return false
	}
	s.spsLeft--
	return true
}

func (s *Server) newChannel(id string) *channel {
	s.sessionID++
	s.sinceStart++
	ch := &channel{s: s, uuid: id, created: s.nowMicros(), running: csNew, target: csNew, seq: s.sessionID}
	ch.vars = make([]wire.Header, 0, 96)
	s.channels[id] = ch
	s.order = append(s.order, ch)
	if n := len(s.channels); n > s.peak {
		s.peak = n
	}
	return ch
}

func (s *Server) randPort() string {
	return strconv.Itoa(16384 + 2*s.rng.Intn(8192))
}

func (s *Server) randTag() string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 13)
	for i := range b {
		b[i] = alpha[s.rng.Intn(len(alpha))]
	}
	return string(b)
}

// originate starts an outbound call. done receives "+OK <uuid>\n" once the
// far end answers, or "-ERR <CAUSE>\n".
func (s *Server) originate(args string, done func(string)) { s.startOriginate(args, true, done) }

// startOriginate runs an originate; polled is true where no caller
// session reads media (api and bgapi originate), so the originate loop
// sees the answer only at its next look (originatePoll), false for a
// bridge, whose caller's reads see it at once.
func (s *Server) startOriginate(args string, polled bool, done func(string)) {
	r, ok := parseOriginate(args)
	if !ok {
		done(originateUsage)
		return
	}
	r.polled = polled
	if len(r.vars) > 0 {
		s.logLine(7, 3, "switch_ivr_originate.c", "switch_ivr_originate", 2301, "", "Parsing global variables\n")
	}
	leg := r.leg
	var ep, rest string
	if i := strings.IndexByte(leg, '/'); i >= 0 {
		ep, rest = leg[:i], leg[i+1:]
	} else {
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
		return
	}
	if s.capacity != nil {
		// An overloaded FreeSWITCH queues the originate before its A leg
		// exists: at 90 calls/s held 2 s on 2 cores (past its ~65), the
		// time from the originate written to the A leg's CHANNEL_CREATE
		// grew to p50 2.0 s, p90 4.5 s, while CHANNEL_CREATE of the B leg
		// (the INVITE arriving) followed the A leg's by p50 0 ms, p90
		// 1.9 ms, and the answer the B leg's by p90 4.8 ms (build.sh's
		// server; at 60 calls/s the first step's p99 was 72 ms). The
		// call's set-up cost is therefore waited for here.
		if d := s.capacity.setupDelay(s.clock.Now()); d > 0 {
			s.clock.AfterFunc(d, func() {
				s.lock()
				defer s.unlock()
				if s.closed {
					done("-ERR NORMAL_TEMPORARY_FAILURE\n")
					return
				}
				s.originateLeg(r, ep, rest, done)
			})
			return
		}
	}
	s.originateLeg(r, ep, rest, done)
}

// originateLeg creates the originate's A leg on endpoint ep.
func (s *Server) originateLeg(r *originateReq, ep, rest string, done func(string)) {
	id := varOf(r.vars, "origination_uuid")
	if id == "" {
		id = uuid.NewString()
	} else if s.channels[id] != nil {
		done("-ERR DESTINATION_OUT_OF_ORDER\n")
		return
	}
	switch ep {
	case "sofia":
		s.originateSofia(r, id, rest, done)
	case "loopback":
		s.originateLoopback(r, id, rest, done)
	case "error":
		c := strings.ToUpper(rest)
		if _, ok := causeCodes[c]; !ok {
			c = "NORMAL_CLEARING"
		}
		done("-ERR " + c + "\n")
	case "null":
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
	default:
		done("-ERR CHAN_NOT_IMPLEMENTED\n")
	}
}

// newOutboundLeg creates the A leg and raises its first events.
func (s *Server) newOutboundLeg(r *originateReq, id, name, endpoint, dest string) *channel {
	ch := s.newChannel(id)
	ch.outbound = true
	ch.endpoint = endpoint
	ch.name = name
	ch.running = csNone
	ch.target = csInit
	cidName := varOf(r.vars, "origination_caller_id_name")
	if cidName == "" {
		cidName = r.cidName
	}
	cidNum := varOf(r.vars, "origination_caller_id_number")
	if cidNum == "" {
		cidNum = r.cidNum
	}
	if cidNum == "" {
		cidNum = "0000000000"
	}
	ch.prof = profile{cidName: cidName, cidNum: cidNum, origName: cidName, origNum: cidNum,
		calleeName: "Outbound Call", calleeNum: dest, ani: cidNum, dest: dest,
		source: "src/switch_ivr_originate.c", context: r.context, chanName: name}
	return ch
}

// startOutbound raises the A leg's events up to CS_CONSUME_MEDIA.
func (a *channel) startOutbound() {
	a.logNew()
	a.emit(evOutgoing, nil, nil)
	a.running = csInit
	a.target = csInit
	a.emit(evState, nil, nil)
	a.createOutbound()
}

// createOutbound raises an outbound leg's CHANNEL_CREATE and
// CHANNEL_ORIGINATE and takes it from CS_INIT to CS_CONSUME_MEDIA.
func (a *channel) createOutbound() {
	a.target = csRouting
	a.emit(evCreate, nil, nil)
	a.emit(evOriginate, nil, nil)
	a.running = csRouting
	a.emit(evState, nil, nil)
	a.target = csConsumeMedia
	a.running = csConsumeMedia
	a.emit(evState, nil, nil)
}

func (a *channel) timeoutTimer(d time.Duration) {
	a.after(d, func() {
		if a.answered || a.gone() || a.done == nil {
			return
		}
		a.s.hangup(a, "NO_ANSWER")
	})
}

// farFailed ends an unanswered A leg because the far end refused.
func (a *channel) farFailed(cause string) {
	if a.gone() {
		return
	}
	if a.endpoint == "sofia" {
		if a.peer == nil {
			// nobody answered the INVITE at all
			a.setVar("sip_call_id", uuid.NewString())
			a.moveVar("sip_local_network_addr", a.varOr("sip_local_network_addr", ""))
			a.setVar("sip_reply_port", "0")
			a.setVar("sip_network_port", "0")
		}
		st := sipStatus(cause)
		a.setVar("sip_hangup_disposition", "recv_refuse")
		a.setVar("sip_invite_failure_status", st)
		a.setVar("sip_invite_failure_phrase", sipPhrase(st))
		a.setVar("sip_term_status", st)
		a.setVar("proto_specific_hangup_cause", "sip:"+st)
		a.setVar("sip_term_cause", strconv.Itoa(causeCodes[cause]))
	}
	a.peer = nil
	a.remoteHangup = true
	a.s.hangup(a, cause)
}

// earlyPolicy decides, from an originate's variables, whether the
// originate ends at early media (earlyOK) and whether a 180 without media
// ends it (returnRing), as src/switch_ivr_originate.c does: early_ok
// starts true; group_confirm_early_ok sets it; bridge_early_media,
// ignore_early_media (true, "consume" or "ring_ready") and
// monitor_early_media_ring/fail clear it. return_ring_ready returns at
// ring-ready unless ignore_ring_ready. Without early_ok only the answer
// (or a failure) ends the originate.
func earlyPolicy(vars []wire.Header) (earlyOK, returnRing bool) {
	earlyOK = true
	if v := varOf(vars, "group_confirm_early_ok"); v != "" {
		earlyOK = switchTrue(v)
	}
	if switchTrue(varOf(vars, "bridge_early_media")) {
		earlyOK = false
	}
	switch v := varOf(vars, "ignore_early_media"); {
	case switchTrue(v), v == "consume", v == "ring_ready":
		earlyOK = false
	}
	if switchTrue(varOf(vars, "monitor_early_media_ring")) || switchTrue(varOf(vars, "monitor_early_media_fail")) {
		earlyOK = false
	}
	returnRing = switchTrue(varOf(vars, "return_ring_ready")) && !switchTrue(varOf(vars, "ignore_ring_ready"))
	return earlyOK, returnRing
}

// earlyVar is originate_early_media, which FreeSWITCH sets on the A leg
// from early_ok.
func (r *originateReq) earlyVar() string {
	if r.earlyOK {
		return "true"
	}
	return "false"
}

// originatePoll is how often FreeSWITCH's originate loop looks at the
// far leg when no caller session reads media (bgapi/api originate:
// switch_yield(20000) in src/switch_ivr_originate.c). An early-media or
// ring-ready result waits for the next look, so a 183 the far end
// follows at once with a 200 (pre_answer then answer, or an app that
// needs media) ends the originate at the answer, as in capture 11; the
// captures' CALL_UPDATE and BACKGROUND_JOB come 20 ms after
// CHANNEL_PROGRESS_MEDIA (18, 19).
const originatePoll = 20 * time.Millisecond

// farRinging is called when the far end rings (180 without media): the
// A leg raises CHANNEL_PROGRESS and goes RINGING. That ends the
// originate only with return_ring_ready.
func (a *channel) farRinging() {
	if a.gone() || a.answered || a.early || a.ring {
		return
	}
	if a.endpoint == "sofia" {
		a.addReplyVars(false)
	}
	a.markRing()
	if r := a.r; r != nil && r.returnRing {
		a.after(originatePoll, a.pollOriginate)
	}
}

// farEarly is called when the far end sends early media (183 with SDP):
// the A leg raises CHANNEL_PROGRESS_MEDIA and goes EARLY. Unless the
// originate ignores early media (earlyPolicy) it ends at the next poll,
// "+OK <uuid>" before any answer, and the A leg starts its application
// while early (captures 18 and 19).
func (a *channel) farEarly() {
	if a.gone() || a.answered || a.early {
		return
	}
	if a.endpoint == "sofia" {
		a.sofiaEarly()
	} else {
		a.markEarly()
	}
	if r := a.r; r != nil && r.earlyOK {
		a.after(originatePoll, a.pollOriginate)
	}
}

// pollOriginate is the originate loop's look at an A leg that rang or
// went early: unless the answer or a failure ended the originate
// meanwhile, it ends "+OK".
func (a *channel) pollOriginate() {
	r := a.r
	if r == nil || a.gone() {
		return
	}
	if a.early && r.earlyOK || a.ring && r.returnRing {
		a.flipCID()
		a.completeOriginate()
	}
}

// farAnswered is called when the far end answers: the A leg answers and,
// unless early media or ring-ready ended it already, the originate
// completes and the A leg runs its application.
func (a *channel) farAnswered() {
	if a.gone() || a.answered {
		return
	}
	a.markAnswered()
	a.setVar("endpoint_disposition", "ANSWER")
	if a.r != nil && !a.r.polled {
		a.flipCID()
		a.completeOriginate()
		return
	}
	if a.r != nil {
		// The originate loop sees the answer at its next look
		// (originatePoll): capture 06's BACKGROUND_JOB and the A leg's
		// park come 20 ms after its CHANNEL_ANSWER. Until then the leg
		// is answered but still in CS_CONSUME_MEDIA (see inOriginate).
		a.after(originatePoll, func() {
			if a.r == nil || a.gone() {
				return
			}
			a.flipCID()
			a.completeOriginate()
		})
		return
	}
	// The originate ended before the answer: execute_on_answer runs now,
	// while the application keeps running.
	if ex := a.varOr("execute_on_answer", ""); ex != "" {
		app, arg, _ := strings.Cut(ex, " ")
		a.queue = append(a.queue, queuedApp{name: app, arg: arg, loops: 1})
		a.runNext()
	}
}

// inOriginate reports whether the channel is an A leg answered while
// its originate has not yet handed it to its application: it is still in
// CS_CONSUME_MEDIA, owned by the thread that runs the originate. On a
// real FreeSWITCH 1.10.12 a playback queued to the leg then (sendmsg
// right after its CHANNEL_ANSWER) runs there, not in the application,
// and plays nothing: CHANNEL_EXECUTE and CHANNEL_EXECUTE_COMPLETE
// "PLAYBACK ERROR" in CS_CONSUME_MEDIA, no RTP sent (seen on the real
// server; the originate loop parses the peer's queued messages itself,
// switch_ivr_originate.c check_channel_status). See playbackInOriginate.
func (a *channel) inOriginate() bool { return a.r != nil && a.answered && a.running == csConsumeMedia }

// completeOriginate ends the originate "+OK <uuid>" and starts the A
// leg's application (or its dialplan), after execute_on_answer if the
// leg is answered.
func (a *channel) completeOriginate() {
	done := a.done
	a.done = nil
	if done != nil {
		done("+OK " + a.uuid + "\n")
	}
	r := a.r
	a.r = nil
	if r == nil || a.gone() {
		return
	}
	if ex := a.varOr("execute_on_answer", ""); ex != "" && a.answered {
		app, arg, _ := strings.Cut(ex, " ")
		a.queue = append(a.queue, queuedApp{name: app, arg: arg, loops: 1})
	}
	a.setRunning(csExecute)
	if r.app != "" {
		a.queue = append(a.queue, queuedApp{name: r.app, arg: r.arg, loops: 1})
	} else {
		a.prof.dest = r.exten
		a.hitDP = false
		a.queue = append(a.queue, a.s.dialplanApps(a, r.exten)...)
	}
	a.runNext()
}

func (a *channel) flipCID() {
	p := &a.prof
	if p.cidName != "" {
		a.setVar("pre_transfer_caller_id_name", p.cidName)
	}
	a.setVar("pre_transfer_caller_id_number", p.cidNum)
	a.setVar("channel_cid_flipped", "yes")
	newName, newNum := p.calleeName, p.calleeNum
	if a.endpoint == "sofia" {
		newName, newNum = p.dest, p.dest
	}
	p.calleeName, p.calleeNum = p.cidName, p.cidNum
	p.cidName, p.cidNum = newName, newNum
	a.moveVar("call_uuid", a.varOr("call_uuid", a.uuid))
	a.emit(evCallUpdate, []wire.Header{{Name: "Direction", Value: "RECV"}}, nil)
}
