package fsemu

import (
	"cmp"
	"slices"
	"strconv"
	"time"

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
	ch.hangingUp = true
	ch.stopTimers()
	ch.cause = cause
	ch.hangupAt = s.nowMicros()
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
	ch.logHangup()
	ch.emit(evHangup, nil, nil)
	if f := ch.afterHangupEvent; f != nil {
		ch.afterHangupEvent = nil
		f()
	}
	if ch.endpoint == "sofia" && ch.remoteHangup {
		ch.setHangupDisposition()
	}
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
	ch.running = csHangup
	ch.emit(evState, nil, nil)
	ch.removeBugs()
	// switch_core_session_hangup_state (switch_core_state_machine.c):
	// hangup_cause and the timestamps, then CCS_HANGUP, then the
	// endpoint's on_hangup (sofia: the hang-up disposition), then
	// switch_core_media_set_stats; CS_REPORTING and HANGUP_COMPLETE
	// carry all of them.
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
	if done := ch.done; done != nil { // a failed originate ends before CHANNEL_DESTROY (capture 19)
		ch.done = nil
		ch.r = nil
		done("-ERR " + cause + "\n")
	}
	if c := ch.sock; c != nil {
		ch.sock = nil
		c.sessionHungUp()
	}
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

	if b := ch.bridged; b != nil {
		ch.bridged = nil
		b.bridged = nil
		if !b.gone() {
			b.emit(evUnbridge, nil, nil)
			s.hangup(b, "NORMAL_CLEARING")
		}
	}
	p := ch.peer
	ch.peer = nil
	if p != nil && !p.gone() {
		p.peer = nil
		pc := "NORMAL_CLEARING"
		switch {
		case ch.outbound && !p.answered:
			pc = "ORIGINATOR_CANCEL"
		case !ch.outbound && !ch.answered:
			pc = cause
		case causeCodes[cause] > 0 && causeCodes[cause] < 128:
			// the BYE carries "Reason: Q.850;cause=N" (mod_sofia.c
			// sofia_on_hangup) and the far end hangs up with it
			// (sofia.c sofia_handle_sip_i_bye); other causes go as
			// "SIP;cause=N", which it ignores (capture 12: uuid_kill
			// USER_BUSY ends the far leg USER_BUSY)
			pc = cause
		}
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

func stamp(us int64) string {
	if us == 0 {
		return ""
	}
	return time.UnixMicro(us).Format("2006-01-02 15:04:05")
}

// addCDRVars sets the variables switch_core_session_hangup_state sets
// before CCS_HANGUP: hangup_cause, hangup_cause_q850 and those of
// switch_channel_set_timestamps (switch_channel.c). The *sec values are
// differences of whole epoch seconds (time/1e6 truncated, then
// subtracted), *msec of whole milliseconds, *usec exact: an answer at
// 24.97 s and a hang-up at 25.51 s bill 1 s and 540 ms.
func (ch *channel) addCDRVars() {
	v := ch.setVar
	v("hangup_cause", ch.cause)
	v("hangup_cause_q850", strconv.Itoa(causeCodes[ch.cause]))
	if ch.dtmfs != "" {
		v("digits_dialed", ch.dtmfs)
	} else {
		v("digits_dialed", "none")
	}
	// The channel's times as FreeSWITCH stamped them, on its timestamp
	// clock's tick (tick.go); every value below derives from them.
	st := ch.s.stampUs
	created, answered, bridged := st(ch.created), st(ch.answeredAt), st(ch.bridgedAt)
	progress, progressMedia, hungup := st(ch.progressAt), st(ch.progressMediaAt), st(ch.hangupAt)
	v("start_stamp", stamp(created))
	v("profile_start_stamp", stamp(created))
	if answered != 0 {
		v("answer_stamp", stamp(answered))
	}
	if bridged != 0 {
		v("bridge_stamp", stamp(bridged))
	}
	if progress != 0 {
		v("progress_stamp", stamp(progress))
	}
	if progressMedia != 0 {
		v("progress_media_stamp", stamp(progressMedia))
	}
	v("end_stamp", stamp(hungup))
	ep := func(n string, us int64) {
		v(n+"_epoch", strconv.FormatInt(us/1e6, 10))
		v(n+"_uepoch", strconv.FormatInt(us, 10))
	}
	ep("start", created)
	ep("profile_start", created)
	ep("answer", answered)
	ep("bridge", bridged)
	ep("last_hold", 0)
	v("hold_accum_seconds", "0")
	v("hold_accum_usec", "0")
	v("hold_accum_ms", "0")
	ep("resurrect", 0)
	ep("progress", progress)
	ep("progress_media", progressMedia)
	ep("end", hungup)
	v("last_app", ch.varOr("current_application", ""))
	v("last_arg", ch.varOr("current_application_data", ""))
	if ch.prof.cidName != "" {
		v("caller_id", "\""+ch.prof.cidName+"\" <"+ch.prof.cidNum+">")
	} else {
		v("caller_id", ch.prof.cidNum)
	}
	d := cdrDurations(created, answered, bridged, progress, progressMedia, hungup)
	for _, x := range d {
		v(x.k, strconv.FormatInt(x.v, 10))
	}
	if ch.endpoint == "loopback" {
		v("is_loopback", "1")
	}
}

// cdrVal is a named call-detail value.
type cdrVal struct {
	k string
	v int64
}

// cdrDurations computes switch_channel_set_timestamps' durations from
// the channel's times (µs since the epoch, 0 for never), in its order.
// Each unit is a difference of truncated times: whole seconds (time_t),
// whole milliseconds, microseconds.
func cdrDurations(created, answered, bridged, progress, progressMedia, hungup int64) []cdrVal {
	type span struct{ sec, msec, usec int64 }
	diff := func(from, to int64) span {
		return span{to/1e6 - from/1e6, to/1e3 - from/1e3, to - from}
	}
	dur := diff(created, hungup)
	var bill, legbill, ans, wait, prog, pm span
	if bridged > created {
		wait = diff(created, bridged)
	}
	if answered != 0 {
		bill = diff(answered, hungup)
		legbill = diff(created, hungup)
		ans = diff(created, answered)
	}
	if progress != 0 {
		prog = diff(created, progress)
	}
	if progressMedia != 0 {
		pm = diff(created, progressMedia)
	}
	return []cdrVal{
		{"duration", dur.sec}, {"billsec", bill.sec}, {"progresssec", prog.sec},
		{"answersec", ans.sec}, {"waitsec", wait.sec}, {"progress_mediasec", pm.sec},
		{"flow_billsec", legbill.sec},
		{"mduration", dur.msec}, {"billmsec", bill.msec}, {"progressmsec", prog.msec},
		{"answermsec", ans.msec}, {"waitmsec", wait.msec}, {"progress_mediamsec", pm.msec},
		{"flow_billmsec", legbill.msec},
		{"uduration", dur.usec}, {"billusec", bill.usec}, {"progressusec", prog.usec},
		{"answerusec", ans.usec}, {"waitusec", wait.usec}, {"progress_mediausec", pm.usec},
		{"flow_billusec", legbill.usec},
	}
}
