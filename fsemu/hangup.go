package fsemu

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/switchio/switchio/esl/wire"
)

// causeCodes maps hangup cause names to Q.850 codes.
var causeCodes = map[string]int{
	"NONE": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
	"CHANNEL_UNACCEPTABLE": 6, "CALL_AWARDED_DELIVERED": 7, "NORMAL_CLEARING": 16, "USER_BUSY": 17,
	"NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21,
	"NUMBER_CHANGED": 22, "REDIRECTION_TO_NEW_DESTINATION": 23, "EXCHANGE_ROUTING_ERROR": 25,
	"DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28, "FACILITY_REJECTED": 29,
	"RESPONSE_TO_STATUS_ENQUIRY": 30, "NORMAL_UNSPECIFIED": 31, "NORMAL_CIRCUIT_CONGESTION": 34,
	"NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41, "SWITCH_CONGESTION": 42,
	"ACCESS_INFO_DISCARDED": 43, "REQUESTED_CHAN_UNAVAIL": 44, "PRE_EMPTED": 45,
	"FACILITY_NOT_SUBSCRIBED": 50, "OUTGOING_CALL_BARRED": 52, "INCOMING_CALL_BARRED": 54,
	"BEARERCAPABILITY_NOTAUTH": 57, "BEARERCAPABILITY_NOTAVAIL": 58, "SERVICE_UNAVAILABLE": 63,
	"BEARERCAPABILITY_NOTIMPL": 65, "CHAN_NOT_IMPLEMENTED": 66, "FACILITY_NOT_IMPLEMENTED": 69,
	"SERVICE_NOT_IMPLEMENTED": 79, "INVALID_CALL_REFERENCE": 81, "INCOMPATIBLE_DESTINATION": 88,
	"INVALID_MSG_UNSPECIFIED": 95, "MANDATORY_IE_MISSING": 96, "MESSAGE_TYPE_NONEXIST": 97,
	"WRONG_MESSAGE": 98, "IE_NONEXIST": 99, "INVALID_IE_CONTENTS": 100, "WRONG_CALL_STATE": 101,
	"RECOVERY_ON_TIMER_EXPIRE": 102, "MANDATORY_IE_LENGTH_ERROR": 103, "PROTOCOL_ERROR": 111,
	"INTERWORKING": 127, "SUCCESS": 142, "ORIGINATOR_CANCEL": 487, "CRASH": 700, "SYSTEM_SHUTDOWN": 701,
	"LOSE_RACE": 502, "MANAGER_REQUEST": 503, "BLIND_TRANSFER": 600, "ATTENDED_TRANSFER": 601,
	"ALLOTTED_TIMEOUT": 602, "USER_CHALLENGE": 603, "MEDIA_TIMEOUT": 604, "PICKED_OFF": 605,
	"USER_NOT_REGISTERED": 606, "PROGRESS_TIMEOUT": 607, "INVALID_GATEWAY": 608, "GATEWAY_DOWN": 609,
	"INVALID_URL": 610, "INVALID_PROFILE": 611, "NO_PICKUP": 612, "SRTP_READ_ERROR": 613,
}

// sipStatus maps a cause to the SIP status sofia sends for it.
func sipPhrase(status string) string {
	switch status {
	case "486":
		return "Busy Here"
	case "480":
		return "Temporarily Unavailable"
	case "603":
		return "Decline"
	case "487":
		return "Request Terminated"
	case "404":
		return "Not Found"
	}
	return "Service Unavailable"
}

func sipStatus(cause string) string {
	switch cause {
	case "NORMAL_CLEARING":
		return "200"
	case "USER_BUSY":
		return "486"
	case "NO_ANSWER", "NO_USER_RESPONSE":
		return "480"
	case "CALL_REJECTED":
		return "603"
	case "ORIGINATOR_CANCEL":
		return "487"
	case "UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION":
		return "404"
	}
	return "503"
}

// hangup runs a channel through CS_HANGUP, CS_REPORTING and CS_DESTROY,
// raising FreeSWITCH's events, and tells the far end.
func (s *Server) hangup(ch *channel, cause string) {
	if ch.gone() {
		return
	}
	if _, ok := causeCodes[cause]; !ok {
		cause = "NORMAL_CLEARING"
	}
	ch.startHangup(cause)
	ch.logHangup()
	ch.emit(evHangup, nil, nil)
	if f := ch.afterHangupEvent; f != nil {
		ch.afterHangupEvent = nil
		f()
	}
	if ch.endpoint == "sofia" && ch.remoteHangup {
		ch.setHangupDisposition()
	}
	ch.stopApps()
	ch.running = csHangup
	ch.emit(evState, nil, nil)
	ch.removeBugs()
	ch.enterReporting(cause)
	ch.releaseWaiters(cause)
	s.destroy(ch)
	s.hangupBridged(ch)
	s.hangupPeer(ch, cause)
}

// startHangup marks the channel hanging up with cause, before
// CHANNEL_HANGUP: its timers stop, its bridge partner learns the cause,
// and a sofia channel the far end hung up after the answer records the
// SIP reason it got.
func (ch *channel) startHangup(cause string) {
	ch.hangingUp = true
	ch.stopTimers()
	ch.cause = cause
	ch.hangupAt = ch.s.nowMicros()
	ch.target = csHangup
	if b := ch.bridged; b != nil {
		ch.setVar("bridge_hangup_cause", cause)
		b.setVar("last_bridge_hangup_cause", cause)
		b.setVar("bridge_hangup_cause", cause)
	}
	if ch.endpoint == "sofia" && ch.remoteHangup && ch.answered {
		st := sipStatus(cause)
		q := strconv.Itoa(causeCodes[cause])
		ch.setVar("sip_reason", "Q.850;cause="+q+";text=\""+cause+"\"")
		ch.setVar("sip_term_status", st)
		ch.setVar("proto_specific_hangup_cause", "sip:"+st)
		ch.setVar("sip_term_cause", q)
	}
}

// stopApps ends the running applications, the innermost first, each with
// its CHANNEL_EXECUTE_COMPLETE (a park's or a parked socket's
// CHANNEL_UNPARK and a playback's PLAYBACK_STOP before it), and drops the
// queued ones.
func (ch *channel) stopApps() {
	for i := len(ch.apps) - 1; i >= 0; i-- {
		ap := ch.apps[i]
		ap.stop()
		if ap.name == "park" || ap.name == "socket" && ch.parked {
			ch.emit(evUnpark, nil, nil)
		}
		if ap.file != "" { // a playback's, or a read's prompt
			ap.playbackStop(ch, "break")
		}
		ch.appComplete(ap)
		if ap.loopVars {
			ch.delVar("current_loop")
			ch.delVar("total_loops")
		}
	}
	ch.apps = nil
	ch.queue = nil
}

// enterReporting is switch_core_session_hangup_state
// (switch_core_state_machine.c) after the media bugs: hangup_cause and the
// timestamps, then CCS_HANGUP, then the endpoint's on_hangup (sofia: the
// hang-up disposition), then switch_core_media_set_stats; CS_REPORTING and
// HANGUP_COMPLETE carry all of them.
func (ch *channel) enterReporting(cause string) {
	ch.addCDRVars()
	ch.keepRTPPeer()
	ch.setCallState(ccsHangup)
	if ch.endpoint == "sofia" {
		if _, ok := ch.getVar("sip_hangup_disposition"); !ok {
			ch.setHangupDisposition()
		}
	}
	ch.addRTPStats()
	ch.running = csReporting
	ch.target = csReporting
	ch.emit(evState, nil, nil)
	ch.emit(evHangupDone, []wire.Header{{Name: "Hangup-Cause", Value: cause}}, nil)
}

// releaseWaiters answers whoever still waits on the channel before it is
// destroyed: an originate not yet done fails with cause (a failed
// originate ends before CHANNEL_DESTROY, capture 19), and its outbound
// socket learns the session hung up.
func (ch *channel) releaseWaiters(cause string) {
	if done := ch.done; done != nil {
		ch.done = nil
		ch.r = nil
		done("-ERR " + cause + "\n")
	}
	if c := ch.sock; c != nil {
		ch.sock = nil
		c.sessionHungUp()
	}
}

// destroy runs CS_DESTROY: CHANNEL_DESTROY, the state change, and the
// channel leaves the server (its scheduled tasks and its place in the
// capacity model with it).
func (s *Server) destroy(ch *channel) {
	ch.target = csDestroy
	ch.emit(evDestroy, nil, nil)
	ch.running = csDestroy
	ch.emit(evState, nil, nil)
	ch.destroyed = true
	delete(s.channels, ch.uuid)
	// switch_core_session_perform_destroy deletes the tasks of the
	// channel's scheduler group (sched_hangup, sched_transfer ...)
	s.sched.delGroup(ch.uuid)
	if len(s.order) > 2*len(s.channels)+64 {
		s.compactOrder()
	}
	if s.capacity != nil {
		s.capacity.callEnded(s.clock.Now(), ch)
	}
}

// hangupBridged unbridges a hung-up channel and hangs up the leg it was
// bridged to (on this server) with NORMAL_CLEARING.
func (s *Server) hangupBridged(ch *channel) {
	b := ch.bridged
	if b == nil {
		return
	}
	ch.bridged = nil
	b.bridged = nil
	if !b.gone() {
		b.emit(evUnbridge, nil, nil)
		s.hangup(b, "NORMAL_CLEARING")
	}
}

// hangupPeer tells the far end of a hung-up channel's SIP call (its peer,
// possibly on another server) to hang up, through the network.
func (s *Server) hangupPeer(ch *channel, cause string) {
	p := ch.peer
	ch.peer = nil
	if p == nil || p.gone() {
		return
	}
	p.peer = nil
	pc := peerCause(ch, p, cause)
	s.net.reply(s, p.s, func() {
		if p.killPending != "" {
			p.s.hangup(p, p.killPending)
			return
		}
		if p.outbound && !p.answered {
			p.remoteHangup = true
			p.farFailed(pc)
			return
		}
		p.remoteHangup = true
		p.s.hangup(p, pc)
	})
}

// peerCause is the cause the peer p of channel ch, which hung up with
// cause, hangs up with.
func peerCause(ch, p *channel, cause string) string {
	switch {
	case ch.outbound && !p.answered:
		return "ORIGINATOR_CANCEL"
	case !ch.outbound && !ch.answered:
		return cause
	case causeCodes[cause] > 0 && causeCodes[cause] < 128:
		// the BYE carries "Reason: Q.850;cause=N" (mod_sofia.c
		// sofia_on_hangup) and the far end hangs up with it
		// (sofia.c sofia_handle_sip_i_bye); other causes go as
		// "SIP;cause=N", which it ignores (capture 12: uuid_kill
		// USER_BUSY ends the far leg USER_BUSY)
		return cause
	}
	return "NORMAL_CLEARING"
}

// removeBugs is switch_core_media_bug_remove_all at the start of
// switch_core_session_hangup_state (switch_core_state_machine.c), after
// CS_HANGUP's CHANNEL_STATE and before hangup_cause is set: every media
// bug is closed in the order they were added (a recording is written and
// raises RECORD_STOP), then destroyed in the reverse order
// (MEDIA_BUG_STOP each).
func (ch *channel) removeBugs() {
	type bug struct {
		seq              uint64
		function, target string
	}
	var bugs []bug
	if r := ch.record; r != nil {
		ch.closeRecord(r, true)
		bugs = append(bugs, bug{r.bug, "session_record", r.path})
	}
	if b := ch.media.audio; b != nil {
		ch.media.audio = nil
		ch.setFX(audioFX{}, 0)
		bugs = append(bugs, bug{b.seq, "audio", b.target})
	}
	slices.SortFunc(bugs, func(x, y bug) int { return cmp.Compare(y.seq, x.seq) })
	for _, b := range bugs {
		ch.emit(evBugStop, nil, []wire.Header{{Name: "Media-Bug-Function", Value: b.function},
			{Name: "Media-Bug-Target", Value: b.target}})
	}
}

func (s *Server) compactOrder() {
	kept := s.order[:0]
	for _, c := range s.order {
		if !c.destroyed {
			kept = append(kept, c)
		}
	}
	for i := len(kept); i < len(s.order); i++ {
		s.order[i] = nil
	}
	s.order = kept
}

func (ch *channel) setHangupDisposition() {
	disp := "recv_bye"
	if !ch.remoteHangup {
		disp = "send_bye"
		if !ch.answered {
			if ch.outbound {
				disp = "send_cancel"
			} else {
				disp = "send_refuse"
			}
		}
	} else if !ch.answered {
		if ch.outbound {
			disp = "recv_refuse"
		} else {
			disp = "recv_cancel"
		}
	}
	ch.setVar("sip_hangup_disposition", disp)
}
