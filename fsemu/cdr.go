package fsemu

// The call-detail variables a channel gets when it hangs up
// (switch_channel_set_timestamps and its neighbours).

import (
	"strconv"
	"time"
)

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
