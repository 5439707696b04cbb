package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// appRun is an application running on a channel.
type appRun struct {
	name, arg, uuid string
	raw             string // arg as queued, before ${var} expansion
	loops           int
	timer           Timer
	started         time.Time
	file            string // playback
	playLen         time.Duration
	// a playback: its file, the time left when last (re)started, and
	// its pause while an application runs inside it (nests)
	media             mediaSpec
	left              time.Duration
	resumed, pausedAt time.Time
	pausedFor         time.Duration
	paused            bool
	done              func()
	then              func() // after CHANNEL_EXECUTE_COMPLETE
	loopVars          bool   // sendmsg/broadcast: current_loop, total_loops
}

func (ap *appRun) stop() {
	if ap.timer != nil {
		ap.timer.Stop()
		ap.timer = nil
	}
}

// runNext starts the next queued application when none is running.
func (ch *channel) runNext() {
	for !ch.gone() {
		if n := len(ch.apps); n > 0 && !ch.apps[n-1].parkLike() {
			return
		}
		if len(ch.queue) == 0 {
			if len(ch.apps) == 0 && ch.running == csExecute {
				ch.s.hangup(ch, "NORMAL_CLEARING")
			}
			return
		}
		q := ch.queue[0]
		ch.queue = ch.queue[1:]
		ch.exec(q)
	}
}

func (ap *appRun) parkLike() bool { return ap.name == "park" || ap.name == "socket" }

// exec runs one application: CHANNEL_EXECUTE, the app, and (when it
// finishes) CHANNEL_EXECUTE_COMPLETE.
func (ch *channel) exec(q queuedApp) {
	if !emulatedApps[q.name] {
		ch.refuseApp(q)
		return
	}
	ap := &appRun{name: q.name, arg: q.arg, raw: q.arg, uuid: q.uuid, loops: q.loops, then: q.then, loopVars: q.loopVars}
	if ap.uuid == "" {
		ap.uuid = uuid.NewString()
	}
	if ap.loops == 0 {
		ap.loops = 1
	}
	ch.apps = append(ch.apps, ap)
	ch.startApp(ap)
}

// mediaApps need media: FreeSWITCH pre-answers an unanswered channel
// before running them (no SAF_SUPPORT_NOMEDIA).
var mediaApps = map[string]bool{"playback": true, "endless_playback": true, "bert_test": true,
	"echo": true, "record_session": true, "send_dtmf": true, "gentones": true, "record": true,
	"read": true, "play_and_get_digits": true, "speak": true}

func (ch *channel) startApp(ap *appRun) {
	if mediaApps[ap.name] && !ch.answered && !ch.early {
		ch.preAnswerLocal()
	}
	// switch_core_session_exec expands the argument's ${var} on every run
	// (channel variables, then globals) unless
	// app_disable_expand_variables is true; events and the application see
	// the expanded text.
	ap.arg = ap.raw
	if !switchTrue(ch.varOr("app_disable_expand_variables", "")) && strings.Contains(ap.raw, "${") {
		ap.arg = ch.s.expand(ap.raw, ch)
	}
	if ap.loopVars {
		ch.setVar("current_loop", "1")
		ch.setVar("total_loops", strconv.Itoa(max(ap.loops, 1)))
	}
	ch.delVar("current_application_response")
	ch.setVar("current_application_data", ap.arg)
	ch.moveVar("current_application", ap.name)
	post := []wire.Header{{Name: "Application", Value: ap.name}}
	if ap.arg != "" {
		post = append(post, wire.Header{Name: "Application-Data", Value: ap.arg})
	}
	post = append(post, wire.Header{Name: "Application-UUID", Value: ap.uuid})
	ch.emit(evExecute, nil, post)
	if ch.gone() {
		return
	}
	ch.runApp(ap)
}

// finishApp completes a non-blocking app and continues the channel.
func (ch *channel) finishApp(ap *appRun) {
	if ch.gone() {
		return
	}
	for i, x := range ch.apps {
		if x == ap {
			ch.apps = append(ch.apps[:i], ch.apps[i+1:]...)
			break
		}
	}
	ch.appComplete(ap)
	if n := len(ch.apps); n > 0 && ch.apps[n-1].paused && (ap.loops == 1 || ap.loops == 0) {
		defer ch.apps[n-1].resume(ch) // the application it ran inside goes on
	}
	if ap.loopVars && (ap.loops == 1 || ap.loops == 0) {
		ch.delVar("current_loop")
		ch.delVar("total_loops")
	}
	if ap.then != nil && (ap.loops == 1 || ap.loops == 0) {
		f := ap.then
		ap.then = nil
		f()
	}
	if ap.loops < 0 || ap.loops > 1 {
		if ap.loops > 1 {
			ap.loops--
		}
		ch.apps = append(ch.apps, ap)
		ch.startApp(ap)
		return
	}
	ch.runNext()
}

func (ch *channel) appComplete(ap *appRun) {
	if n := len(ch.media.echo); ap.name == "echo" && n > 0 && ch.media.echo[n-1].to == 0 {
		ch.media.echo[n-1].to = ch.s.nowMicros()
	}
	resp := ch.varOr("current_application_response", "_none_")
	post := []wire.Header{{Name: "Application", Value: ap.name}}
	if ap.arg != "" {
		post = append(post, wire.Header{Name: "Application-Data", Value: ap.arg})
	}
	post = append(post, wire.Header{Name: "Application-Response", Value: resp},
		wire.Header{Name: "Application-UUID", Value: ap.uuid})
	ch.emit(evExecDone, nil, post)
}

// breakApps interrupts the running app (uuid_break); all=true also
// flushes queued ones.
func (ch *channel) breakApps(all bool) {
	if all {
		ch.queue = nil
	}
	n := len(ch.apps)
	if n == 0 {
		return
	}
	ap := ch.apps[n-1]
	if ap.name == "park" {
		return
	}
	ap.stop()
	if ap.name == "playback" || ap.name == "endless_playback" {
		ap.playbackStop(ch, "break")
	}
	ap.loops = 1
	ch.finishApp(ap)
}

// runApp starts ap on ch. The applications that last (park, sleep,
// playback, bridge ...) and those that end the call are run here; every
// other one acts and completes at once (instantApp).
func (ch *channel) runApp(ap *appRun) {
	s := ch.s
	switch ap.name {
	case "park":
		ch.parked = true
		ch.emit(evPark, nil, nil)
		ch.runNext()
	case "hangup":
		c := ap.arg
		if c == "" {
			c = "NORMAL_CLEARING"
		}
		s.hangup(ch, c)
	case "respond":
		ch.respondApp(ap)
	case "deflect":
		s.hangup(ch, "NORMAL_CLEARING")
	case "sleep":
		ch.sleepApp(ap)
	case "echo":
		ch.answerLocal()
		// runs until hang-up or break, sending back what it hears
		ch.media.echo = append(ch.media.echo, span{from: s.nowMicros()})
	case "playback", "endless_playback":
		if ch.inOriginate() {
			// see inOriginate: the playback fails at once
			ch.setVar("current_application_response", "PLAYBACK ERROR")
			ch.finishApp(ap)
			return
		}
		ch.playback(ap, func() { ch.finishApp(ap) })
	case "bert_test":
		ch.bertTest(ap, func() { ch.finishApp(ap) })
	case "bridge":
		ch.bridgeApp(ap)
	case "socket":
		ch.socketApp(ap)
	case "read":
		ch.readApp(ap)
	case "play_and_get_digits":
		ch.playAndGetDigitsApp(ap)
	case "speak":
		ch.speakApp(ap)
	default:
		ch.instantApp(ap)
		ch.finishApp(ap)
	}
}

// respondApp runs respond: a provisional or final SIP answer the channel
// acts on locally (180 rings, 183 pre-answers, 200 answers), any other
// status hangs up with the cause FreeSWITCH maps it to.
func (ch *channel) respondApp(ap *appRun) {
	code, _, _ := strings.Cut(ap.arg, " ")
	switch code {
	case "180":
		ch.ringLocal()
	case "183":
		ch.preAnswerLocal()
	case "200":
		ch.answerLocal()
	default:
		ch.s.hangup(ch, causeForSIP(code))
		return
	}
	ch.finishApp(ap)
}

// sleepApp runs sleep: the application completes after its argument in
// milliseconds, on the server's clock.
func (ch *channel) sleepApp(ap *appRun) {
	s := ch.s
	ms, _ := strconv.Atoi(ap.arg)
	ap.timer = s.clock.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
		s.lock()
		defer s.unlock()
		ap.timer = nil
		ch.finishApp(ap)
	})
}

func causeForSIP(code string) string {
	switch code {
	case "486", "600":
		return "USER_BUSY"
	case "480":
		return "NO_USER_RESPONSE"
	case "404", "604":
		return "UNALLOCATED_NUMBER"
	case "603":
		return "CALL_REJECTED"
	case "487":
		return "ORIGINATOR_CANCEL"
	case "408":
		return "RECOVERY_ON_TIMER_EXPIRE"
	case "503", "500":
		return "NORMAL_TEMPORARY_FAILURE"
	}
	return "NORMAL_CLEARING"
}

// answerLocal answers this channel; for an inbound leg the far (calling)
// end gets the 200 OK.
func (ch *channel) answerLocal() {
	if ch.answered || ch.gone() {
		return
	}
	ch.markAnswered()
	if ch.endpoint == "loopback" && !ch.outbound {
		ch.setVar("endpoint_disposition", "ANSWER")
	}
	if ch.endpoint == "sofia" && !ch.outbound {
		ch.setToTag()
		ch.setVar("sip_cseq", strconv.Itoa(100000000+ch.s.rng.Intn(99999999)))
	}
	if p := ch.peer; p != nil && !ch.outbound {
		ch.s.net.reply(ch.s, p.s, p.farAnswered)
	}
}

// setToTag gives an inbound sofia leg its dialog's to-tag once.
func (ch *channel) setToTag() {
	if _, ok := ch.getVar("sip_to_tag"); !ok {
		ch.setVar("sip_to_tag", ch.s.randTag())
	}
}

// preAnswerLocal sends early media (183); for an inbound leg the calling
// end gets it.
func (ch *channel) preAnswerLocal() {
	if ch.answered || ch.early || ch.gone() {
		return
	}
	ch.markEarly()
	if p := ch.peer; p != nil && !ch.outbound {
		ch.s.net.reply(ch.s, p.s, p.farEarly)
	}
}

// ringLocal rings (180 without media); for an inbound leg the calling
// end gets it.
func (ch *channel) ringLocal() {
	if ch.answered || ch.ring || ch.gone() {
		return
	}
	if ch.endpoint == "sofia" && !ch.outbound {
		ch.setToTag() // the 180 opens the dialog (capture 20)
	}
	ch.markRing()
	if p := ch.peer; p != nil && !ch.outbound {
		ch.s.net.reply(ch.s, p.s, p.farRinging)
	}
}

// bridgeApp bridges to a dial string (only same-network sofia/loopback).
func (ch *channel) bridgeApp(ap *appRun) {
	s := ch.s
	args := ap.arg
	s.startOriginate(args+" &park()", false, func(res string) {
		if ch.gone() {
			return
		}
		if !strings.HasPrefix(res, "+OK ") {
			ch.setVar("originate_disposition", strings.TrimSpace(strings.TrimPrefix(res, "-ERR ")))
			ch.finishApp(ap)
			return
		}
		other := s.channels[strings.TrimSpace(res[4:])]
		if other == nil {
			ch.finishApp(ap)
			return
		}
		ch.answerLocal()
		s.bridge(ch, other)
	})
}

// bridge links two channels on this server (uuid_bridge / bridge). b
// gets a as its originator (Other-Leg-* headers).
func (s *Server) bridge(a, b *channel) {
	now := s.nowMicros()
	a.bridged, b.bridged = b, a
	a.bridgedAt, b.bridgedAt = now, now
	b.other, b.otherType = a, "originator"
	a.other, a.otherType = b, "originatee"
	a.setVar("last_bridge_role", "originator")
	for _, x := range [][2]*channel{{a, b}, {b, a}} {
		c, o := x[0], x[1]
		c.setVar("last_bridge_to", o.uuid)
		c.setVar("bridge_channel", o.name)
		c.setVar("bridge_uuid", o.uuid)
		c.setVar("signal_bond", o.uuid)
		c.setVar("last_sent_callee_id_name", o.prof.cidName)
		c.setVar("last_sent_callee_id_number", o.prof.cidNum)
	}
	a.emit(evBridge, []wire.Header{{Name: "Bridge-A-Unique-ID", Value: a.uuid}, {Name: "Bridge-B-Unique-ID", Value: b.uuid}}, nil)
}

// transferMark records a uuid_bridge-style transfer of c.
func (c *channel) transferMark(other *channel) {
	ts := strconv.FormatInt(c.s.stampNow().Unix(), 10) + ":" + uuid.NewString() + ":uuid_br:" + other.uuid
	c.setVar("original_destination_number", c.prof.dest)
	c.setVar("original_caller_id_name", c.prof.cidName)
	c.setVar("original_caller_id_number", c.prof.cidNum)
	c.setVar("transfer_history", ts)
	c.setVar("transfer_source", ts)
	c.transferSrc = ts
}
