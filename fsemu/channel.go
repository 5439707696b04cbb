package fsemu

import (
	"strconv"
	"time"
	"unsafe"

	"github.com/switchio/switchio/esl/wire"
)

// Channel states (switch_channel_state_t).
const (
	csNew = iota
	csInit
	csRouting
	csSoftExecute
	csExecute
	csExchangeMedia
	csPark
	csConsumeMedia
	csHibernate
	csReset
	csHangup
	csReporting
	csDestroy
	csNone
)

var stateNames = [...]string{"CS_NEW", "CS_INIT", "CS_ROUTING", "CS_SOFT_EXECUTE", "CS_EXECUTE",
	"CS_EXCHANGE_MEDIA", "CS_PARK", "CS_CONSUME_MEDIA", "CS_HIBERNATE", "CS_RESET", "CS_HANGUP",
	"CS_REPORTING", "CS_DESTROY", "CS_NONE"}

// Call states (switch_channel_callstate_t).
const (
	ccsDown = iota
	ccsDialing
	ccsRinging
	ccsEarly
	ccsActive
	ccsHeld
	ccsRingWait
	ccsHangup
	ccsUnheld
)

var callStateNames = [...]string{"DOWN", "DIALING", "RINGING", "EARLY", "ACTIVE", "HELD", "RING_WAIT", "HANGUP", "UNHELD"}

// profile is a caller profile (switch_caller_profile_t).
type profile struct {
	username, dialplan                 string
	cidName, cidNum, origName, origNum string
	calleeName, calleeNum              string
	networkAddr, ani, dest, source     string
	context, chanName                  string
}

// channel is one emulated session. All fields are guarded by the network lock.
type channel struct {
	s            *Server
	uuid         string
	name         string
	outbound     bool
	endpoint     string // sofia, loopback
	running      uint8
	target       uint8
	callState    uint8
	answered     bool
	early        bool
	ring         bool
	codec        bool
	hitDP        bool
	parked       bool
	destroyed    bool
	hangingUp    bool
	remoteHangup bool
	killPending  string   // cause of a local hang-up already decided (hupall)
	other        *channel // originator/originatee profile holder (Other-Leg-*)
	otherType    string
	transferSrc  string
	createdS     string
	profIndex    uint8 // caller profile index (2 after a transfer)
	sock         *conn // outbound socket controlling the channel
	noProfile    bool  // before the caller profile is attached (CS_NEW)
	l16          bool  // loopback channels run L16
	codecRead    bool  // only the read codec is set yet
	cause        string
	prof         profile
	vars         []wire.Header

	created, answeredAt, progressAt, progressMediaAt, hangupAt, bridgedAt int64

	peer    *channel // the other end of the SIP dialog / loopback pair
	bridged *channel // bridged partner on this server
	queue   []queuedApp
	timers  []Timer
	record  *recording
	media   mediaState
	dtmfs   string
	// dtmfFree is when the leg's RTP DTMF queue has sent its last digit
	// (µs, server clock): a burst sent before then waits its turn.
	dtmfFree int64
	seq      uint64        // creation order
	r        *originateReq // pending originate (A leg)
	done     func(string)  // originate result
	apps     []*appRun     // running applications, innermost last

	// afterHangupEvent runs once right after CHANNEL_HANGUP (refuseApp).
	afterHangupEvent func()
	// digits is the read or play_and_get_digits collecting this
	// channel's DTMF, if one runs (collect.go).
	digits *digitCollector
}

type queuedApp struct {
	name, arg, uuid string
	loops           int
	lock            bool
	then            func()
	loopVars        bool
}

func (ch *channel) gone() bool { return ch.destroyed || ch.hangingUp }

func (ch *channel) stopTimers() {
	for _, t := range ch.timers {
		t.Stop()
	}
	ch.timers = nil
}

func (ch *channel) after(d time.Duration, f func()) {
	s := ch.s
	var t Timer
	t = s.clock.AfterFunc(d, func() {
		s.lock()
		defer s.unlock()
		for i, x := range ch.timers {
			if x == t {
				ch.timers = append(ch.timers[:i], ch.timers[i+1:]...)
				break
			}
		}
		if ch.destroyed || s.closed {
			return
		}
		f()
	})
	ch.timers = append(ch.timers, t)
}

// Variables -----------------------------------------------------------------
//
// ch.vars holds the variables in FreeSWITCH's order with their header
// names ("variable_<name>", interned by the server: intern.go), so events
// copy them without building strings.

const varPrefix = "variable_"

func varIs(h *wire.Header, name string) bool {
	return len(h.Name) == len(varPrefix)+len(name) && h.Name[len(varPrefix):] == name
}

// varIndex finds a variable, -1 if unset, and returns name's interned
// header name ("" if the server's cache is full and name is not in it).
// An interned name is found by a pointer comparison per slot, any other
// by content: such a name was never interned, so its slot holds a string
// of its own (interner.varHeader).
func (ch *channel) varIndex(name string) (int, string) {
	hn, ok := ch.s.intern.varHeader(name)
	if !ok {
		for i := range ch.vars {
			if varIs(&ch.vars[i], name) {
				return i, ""
			}
		}
		return -1, ""
	}
	p := unsafe.StringData(hn)
	for i := range ch.vars {
		if unsafe.StringData(ch.vars[i].Name) == p {
			return i, hn
		}
	}
	return -1, hn
}

func (ch *channel) getVar(name string) (string, bool) {
	if i, _ := ch.varIndex(name); i >= 0 {
		return ch.vars[i].Value, true
	}
	return "", false
}

func (ch *channel) varOr(name, def string) string {
	if v, ok := ch.getVar(name); ok {
		return v
	}
	return def
}

// setVar sets a variable in place, appending new ones; "" unsets.
func (ch *channel) setVar(name, value string) {
	i, hn := ch.varIndex(name)
	if i >= 0 {
		if value == "" {
			ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
			return
		}
		ch.vars[i].Value = value
		return
	}
	if value != "" {
		if hn == "" {
			hn = varPrefix + name
		}
		ch.vars = append(ch.vars, wire.Header{Name: hn, Value: value})
	}
}

// moveVar sets a variable and moves it to the end (FreeSWITCH re-adds).
func (ch *channel) moveVar(name, value string) {
	ch.delVar(name)
	ch.setVar(name, value)
}

func (ch *channel) delVar(name string) {
	if i, _ := ch.varIndex(name); i >= 0 {
		ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
	}
}

// varList returns the variables with plain names.
func (ch *channel) varList() []wire.Header {
	out := make([]wire.Header, len(ch.vars))
	for i, v := range ch.vars {
		out[i] = wire.Header{Name: v.Name[len(varPrefix):], Value: v.Value}
	}
	return out
}

// Events ---------------------------------------------------------------------

// varEvents carry channel variables (switch_channel_event_set_extended_data).
var varEvents = func() [numEventTypes]bool {
	var m [numEventTypes]bool
	for _, n := range []string{"CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER",
		"CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS",
		"CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DATA",
		"CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY", "SESSION_HEARTBEAT", "API",
		"RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE",
		"MEDIA_BUG_START", "MEDIA_BUG_STOP", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "TEXT"} {
		m[eventTypeIndex[n]] = true
	}
	return m
}()

// evSpec names where FreeSWITCH raises an event.
type evSpec struct {
	name, file, fn string
	line           int
}

var (
	evOutgoing   = evSpec{"CHANNEL_OUTGOING", "switch_core_session.c", "switch_core_session_outgoing_channel", 768}
	evState      = evSpec{"CHANNEL_STATE", "switch_channel.c", "switch_channel_perform_set_running_state", 2408}
	evCreate     = evSpec{"CHANNEL_CREATE", "switch_core_state_machine.c", "switch_core_session_run", 626}
	evOriginate  = evSpec{"CHANNEL_ORIGINATE", "switch_core_state_machine.c", "switch_core_session_run", 632}
	evCallstate  = evSpec{"CHANNEL_CALLSTATE", "switch_channel.c", "switch_channel_perform_set_callstate", 301}
	evCodecRead  = evSpec{"CODEC", "switch_core_codec.c", "switch_core_session_set_real_read_codec", 168}
	evCodecWrite = evSpec{"CODEC", "switch_core_codec.c", "switch_core_session_set_write_codec", 450}
	evAnswer     = evSpec{"CHANNEL_ANSWER", "switch_channel.c", "switch_channel_perform_mark_answered", 3846}
	evProgress   = evSpec{"CHANNEL_PROGRESS", "switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505}
	evProgMedia  = evSpec{"CHANNEL_PROGRESS_MEDIA", "switch_channel.c", "switch_channel_perform_mark_pre_answered", 3560}
	evCallUpdate = evSpec{"CALL_UPDATE", "switch_channel.c", "switch_channel_flip_cid", 3277}
	evExecute    = evSpec{"CHANNEL_EXECUTE", "switch_core_session.c", "switch_core_session_exec", 2944}
	evExecDone   = evSpec{"CHANNEL_EXECUTE_COMPLETE", "switch_core_session.c", "switch_core_session_exec", 2967}
	evPark       = evSpec{"CHANNEL_PARK", "switch_ivr.c", "switch_ivr_park", 1002}
	evUnpark     = evSpec{"CHANNEL_UNPARK", "switch_ivr.c", "switch_ivr_park", 1213}
	evHangup     = evSpec{"CHANNEL_HANGUP", "switch_channel.c", "switch_channel_perform_hangup", 3445}
	evHangupDone = evSpec{"CHANNEL_HANGUP_COMPLETE", "switch_core_state_machine.c", "switch_core_session_reporting_state", 943}
	evDestroy    = evSpec{"CHANNEL_DESTROY", "switch_core_session.c", "switch_core_session_perform_destroy", 1584}
	evDTMF       = evSpec{"DTMF", "switch_channel.c", "switch_channel_dequeue_dtmf", 677}
	evBridge     = evSpec{"CHANNEL_BRIDGE", "switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1395}
	evUnbridge   = evSpec{"CHANNEL_UNBRIDGE", "switch_ivr_bridge.c", "audio_bridge_thread", 918}
	evPlayStart  = evSpec{"PLAYBACK_START", "switch_ivr_play_say.c", "switch_ivr_play_file", 1646}
	evPlayStop   = evSpec{"PLAYBACK_STOP", "switch_ivr_play_say.c", "switch_ivr_play_file", 2020}
	evRecStart   = evSpec{"RECORD_START", "switch_ivr_async.c", "record_callback", 1481}
	evRecStop    = evSpec{"RECORD_STOP", "switch_ivr_async.c", "send_record_stop_event", 1240}
	evBugStart   = evSpec{"MEDIA_BUG_START", "switch_core_media_bug.c", "switch_core_media_bug_add", 1014}
	evBugStop    = evSpec{"MEDIA_BUG_STOP", "switch_core_media_bug.c", "switch_core_media_bug_destroy", 84}
	evCommand    = evSpec{"COMMAND", "switch_ivr_async.c", "switch_ivr_broadcast", 5731}
	evUUID       = evSpec{"CHANNEL_UUID", "switch_core_session.c", "switch_core_session_set_uuid", 2051}
)

// emit builds and fires a channel event. pre are headers placed before the
// channel block, post after it. Nothing is built when no listener wants it.
func (ch *channel) emit(sp evSpec, pre, post []wire.Header) {
	s := ch.s
	t := eventTypeIndex[sp.name]
	if !s.wants(t) {
		s.seq++
		return
	}
	// The event is built in a scratch buffer: fire serialises it and keeps
	// nothing of it.
	ev := &s.scratch
	ev.Headers = append(ev.Headers[:0], wire.Header{Name: "Event-Name", Value: sp.name})
	ev.Body = ""
	s.appendStd(ev, sp.file, sp.fn, sp.line)
	ev.Headers = append(ev.Headers, pre...)
	ch.appendBlock(ev, varEvents[t] || s.verbose || switchTrue(ch.varOr("verbose_events", "")))
	ev.Headers = append(ev.Headers, post...)
	s.fire(ev, ch)
}

func (ch *channel) answerState() string {
	switch {
	case ch.running >= csHangup && ch.running != csNone || ch.target >= csHangup && ch.target != csNone:
		return "hangup"
	case ch.answered:
		return "answered"
	case ch.early:
		return "early"
	}
	return "ringing"
}

func u64(v int64) string { return strconv.FormatInt(v, 10) }

func (ch *channel) appendBlock(ev *wire.Event, withVars bool) {
	h := ev.Headers
	dir := "inbound"
	if ch.outbound {
		dir = "outbound"
	}
	hit := "false"
	if ch.hitDP {
		hit = "true"
	}
	callUUID := ch.varOr("call_uuid", ch.uuid)
	h = append(h,
		wire.Header{Name: "Channel-State", Value: stateNames[ch.running]},
		wire.Header{Name: "Channel-Call-State", Value: callStateNames[ch.callState]},
		wire.Header{Name: "Channel-State-Number", Value: strconv.Itoa(int(ch.target))},
		wire.Header{Name: "Channel-Name", Value: ch.name},
		wire.Header{Name: "Unique-ID", Value: ch.uuid},
		wire.Header{Name: "Call-Direction", Value: dir},
		wire.Header{Name: "Presence-Call-Direction", Value: dir},
		wire.Header{Name: "Channel-HIT-Dialplan", Value: hit},
		wire.Header{Name: "Channel-Call-UUID", Value: callUUID},
		wire.Header{Name: "Answer-State", Value: ch.answerState()},
	)
	if ch.cause != "" {
		h = append(h, wire.Header{Name: "Hangup-Cause", Value: ch.cause})
	}
	if ch.codec || ch.codecRead {
		name, br := ch.codecName()
		h = append(h,
			wire.Header{Name: "Channel-Read-Codec-Name", Value: name},
			wire.Header{Name: "Channel-Read-Codec-Rate", Value: "8000"},
			wire.Header{Name: "Channel-Read-Codec-Bit-Rate", Value: br})
		if ch.codec {
			h = append(h,
				wire.Header{Name: "Channel-Write-Codec-Name", Value: name},
				wire.Header{Name: "Channel-Write-Codec-Rate", Value: "8000"},
				wire.Header{Name: "Channel-Write-Codec-Bit-Rate", Value: br})
		}
	}
	if !ch.noProfile {
		h = ch.appendProfile(h, "Caller-", &ch.prof, ch)
	}
	if o := ch.other; o != nil {
		h = append(h, wire.Header{Name: "Other-Type", Value: ch.otherType})
		h = ch.appendProfile(h, "Other-Leg-", &o.prof, o)
	}
	if withVars {
		h = append(h, ch.vars...)
	}
	ev.Headers = h
}

// profileNames are the caller-profile header names for one prefix.
type profileNames struct {
	direction, logical, username, dialplan, cidName, cidNum, origName, origNum, calleeName,
	calleeNum, networkAddr, ani, dest, uniqueID, source, transferSrc, context, chanName, index,
	profCreated, created, answered, progress, progressMedia, hangup, transfer, resurrect, bridged,
	lastHold, holdAccum, screen, hideName, hideNumber string
}

func makeProfileNames(p string) *profileNames {
	return &profileNames{p + "Direction", p + "Logical-Direction", p + "Username", p + "Dialplan",
		p + "Caller-ID-Name", p + "Caller-ID-Number", p + "Orig-Caller-ID-Name", p + "Orig-Caller-ID-Number",
		p + "Callee-ID-Name", p + "Callee-ID-Number", p + "Network-Addr", p + "ANI", p + "Destination-Number",
		p + "Unique-ID", p + "Source", p + "Transfer-Source", p + "Context", p + "Channel-Name", p + "Profile-Index",
		p + "Profile-Created-Time", p + "Channel-Created-Time", p + "Channel-Answered-Time",
		p + "Channel-Progress-Time", p + "Channel-Progress-Media-Time", p + "Channel-Hangup-Time",
		p + "Channel-Transfer-Time", p + "Channel-Resurrect-Time", p + "Channel-Bridged-Time",
		p + "Channel-Last-Hold", p + "Channel-Hold-Accum", p + "Screen-Bit", p + "Privacy-Hide-Name",
		p + "Privacy-Hide-Number"}
}

var (
	callerNames  = makeProfileNames("Caller-")
	otherNames   = makeProfileNames("Other-Leg-")
	channelNames = makeProfileNames("Channel-")
)

func (ch *channel) appendProfile(h []wire.Header, p string, pr *profile, c *channel) []wire.Header {
	if p == "Caller-" {
		return ch.appendProfileNames(h, callerNames, pr, c, true)
	}
	return ch.appendProfileNames(h, otherNames, pr, c, false)
}

func (ch *channel) appendProfileNames(h []wire.Header, n *profileNames, pr *profile, c *channel, caller bool) []wire.Header {
	add := func(name, v string) {
		if v != "" {
			h = append(h, wire.Header{Name: name, Value: v})
		}
	}
	dir := "inbound"
	if c.outbound {
		dir = "outbound"
	}
	add(n.direction, dir)
	if !caller {
		add(n.logical, "inbound")
	} else {
		add(n.logical, dir)
	}
	add(n.username, pr.username)
	add(n.dialplan, pr.dialplan)
	add(n.cidName, pr.cidName)
	add(n.cidNum, pr.cidNum)
	add(n.origName, pr.origName)
	add(n.origNum, pr.origNum)
	add(n.calleeName, pr.calleeName)
	add(n.calleeNum, pr.calleeNum)
	add(n.networkAddr, pr.networkAddr)
	add(n.ani, pr.ani)
	add(n.dest, pr.dest)
	add(n.uniqueID, c.uuid)
	add(n.source, pr.source)
	if caller {
		add(n.transferSrc, c.transferSrc)
	}
	add(n.context, pr.context)
	add(n.chanName, pr.chanName)
	if caller {
		idx := "1"
		if c.profIndex > 1 {
			idx = strconv.Itoa(int(c.profIndex))
		}
		add(n.index, idx)
	}
	created := c.createdStr()
	h = append(h,
		wire.Header{Name: n.profCreated, Value: created},
		wire.Header{Name: n.created, Value: created},
		wire.Header{Name: n.answered, Value: usStr(c.s.stampUs(c.answeredAt))},
		wire.Header{Name: n.progress, Value: usStr(c.s.stampUs(c.progressAt))},
		wire.Header{Name: n.progressMedia, Value: usStr(c.s.stampUs(c.progressMediaAt))},
		wire.Header{Name: n.hangup, Value: usStr(c.s.stampUs(c.hangupAt))},
		wire.Header{Name: n.transfer, Value: "0"},
		wire.Header{Name: n.resurrect, Value: "0"},
		wire.Header{Name: n.bridged, Value: usStr(c.s.stampUs(c.bridgedAt))},
		wire.Header{Name: n.lastHold, Value: "0"},
		wire.Header{Name: n.holdAccum, Value: "0"},
		wire.Header{Name: n.screen, Value: "true"},
		wire.Header{Name: n.hideName, Value: "false"},
		wire.Header{Name: n.hideNumber, Value: "false"},
	)
	return h
}

func usStr(v int64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatInt(v, 10)
}

// createdStr is the channel's Caller-Channel-Created-Time: its creation
// on the server's timestamp clock (tick.go), formatted once.
func (c *channel) createdStr() string {
	if c.createdS == "" {
		c.createdS = strconv.FormatInt(c.s.stampUs(c.created), 10)
	}
	return c.createdS
}

// State machine ---------------------------------------------------------------

// setRunning moves the running state and raises CHANNEL_STATE.
func (ch *channel) setRunning(st uint8) {
	ch.running = st
	if ch.target < st || ch.target == csNone || st >= csHangup || st == csExecute {
		ch.target = st
	}
	ch.emit(evState, nil, nil)
}

func (ch *channel) setCallState(cs uint8) {
	if ch.callState == csHangup && cs != ccsHangup {
		return
	}
	old := ch.callState
	ch.callState = cs
	ch.emit(evCallstate, []wire.Header{
		{Name: "Original-Channel-Call-State", Value: callStateNames[old]},
		{Name: "Channel-Call-State-Number", Value: strconv.Itoa(int(cs))},
	}, nil)
}

func (ch *channel) codecName() (string, string) {
	if ch.l16 {
		return "L16", "128000"
	}
	return "PCMU", "64000"
}

func (ch *channel) setCodec() {
	if ch.codec {
		return
	}
	name, br := ch.codecName()
	ch.codecRead = true
	if !ch.l16 {
		ch.codec = true // sofia sets both before the events go out
	}
	ev := evCodecRead
	if ch.l16 {
		ev = evSpec{"CODEC", "switch_core_codec.c", "switch_core_session_set_read_codec", 279}
	}
	ch.emit(ev, nil, []wire.Header{
		{Name: "channel-read-codec-name", Value: name},
		{Name: "channel-read-codec-rate", Value: "8000"},
		{Name: "channel-read-codec-bit-rate", Value: br},
	})
	ch.codec = true
	ch.emit(evCodecWrite, nil, []wire.Header{
		{Name: "Channel-Write-Codec-Name", Value: name},
		{Name: "Channel-Write-Codec-Rate", Value: "8000"},
		{Name: "Channel-Write-codec-bit-rate", Value: br},
	})
}

// markRing is switch_channel_mark_ring_ready (180).
func (ch *channel) markRing() {
	if ch.ring || ch.answered || ch.early || ch.gone() {
		return
	}
	ch.ring = true
	ch.progressAt = ch.s.nowMicros()
	ch.emit(evProgress, nil, nil)
	if ch.outbound {
		ch.setCallState(ccsRinging)
	}
}

// markEarly is switch_channel_mark_pre_answered (183).
func (ch *channel) markEarly() {
	if ch.early || ch.answered || ch.gone() {
		return
	}
	if ch.endpoint == "sofia" {
		if ch.outbound {
			ch.addAnswerVars()
			ch.setVar("endpoint_disposition", "EARLY MEDIA")
		} else {
			ch.addInboundAnswerVars()
		}
	}
	ch.early = true
	ch.progressMediaAt = ch.s.nowMicros()
	ch.setCodec()
	ch.emit(evProgMedia, nil, nil)
	ch.setCallState(ccsEarly)
}

// markAnswered is switch_channel_mark_answered.
func (ch *channel) markAnswered() {
	if ch.answered || ch.gone() {
		return
	}
	if ch.endpoint == "sofia" && !ch.early {
		if ch.outbound {
			ch.addAnswerVars()
		} else {
			ch.addInboundAnswerVars()
		}
	}
	ch.setCodec()
	ch.answered = true
	ch.answeredAt = ch.s.nowMicros()
	ch.emit(evAnswer, nil, nil)
	ch.setCallState(ccsActive)
}
