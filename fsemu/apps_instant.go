package fsemu

import "strings"

// instantApp runs an application that acts at once (answer, set,
// record_session, send_dtmf ...); runApp completes it right after. An
// application not named here does nothing and completes likewise.
func (ch *channel) instantApp(ap *appRun) {
	switch ap.name {
	case "answer":
		ch.answerLocal()
	case "pre_answer":
		ch.preAnswerLocal()
	case "ring_ready":
		ch.ringLocal()
	case "set", "export":
		k, v, _ := strings.Cut(ap.arg, "=")
		ch.setVar(k, v)
	case "unset":
		ch.setVar(ap.arg, "")
	case "multiset":
		for _, kv := range strings.Fields(ap.arg) {
			k, v, _ := strings.Cut(kv, "=")
			ch.setVar(k, v)
		}
	case "sched_hangup":
		ch.schedHangupApp(ap.arg)
	case "record_session":
		path, limit, vars := recordArgs(ap.arg)
		ch.startRecord(path, limit, vars)
	case "stop_record_session":
		ch.stopRecord(ap.arg)
	case "set_mute":
		ch.setMuteApp(ap.arg)
	case "send_dtmf":
		ch.sendDTMF(ap.arg)
	}
}

// schedHangupApp runs sched_hangup "<time> [cause]". mod_dptools.c
// sched_hangup_function reads its time as the api does (atol,
// epoch-second scheduler; sched.go); the cause defaults to
// ALLOTTED_TIMEOUT.
func (ch *channel) schedHangupApp(arg string) {
	f := strings.Fields(arg)
	if len(f) == 0 {
		return
	}
	c := "ALLOTTED_TIMEOUT"
	if len(f) > 1 {
		c = f[1]
	}
	ch.schedHangupCmd(f[0], c)
}

// setMuteApp runs set_mute. mod_dptools.c set_mute_function: "<read|write|both>
// <level>", a level of 0 or less read as a boolean.
func (ch *channel) setMuteApp(arg string) {
	f := fieldsMax(arg, 2)
	if len(f) != 2 {
		return
	}
	level := atoi(f[1])
	if level <= 0 {
		level = 0
		if switchTrue(f[1]) {
			level = 1
		}
	}
	ch.sessionAudio("mute", strings.ToLower(f[0]), level)
}
