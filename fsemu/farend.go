package fsemu

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Inbound decides what an emulated server does with calls arriving on its
// SIP profiles: its dialplan, the far end of the calls a client makes.
// The zero value parks every call unanswered, like the park-only dialplan
// of the captures.
//
// A call goes through the phases in field order, each one as the
// FreeSWITCH dialplan in docs/far-end-dialplan.md would run it (so the B
// leg raises the same application events): ring for RingTime
// (ring_ready, sleep), send early media for EarlyMedia (pre_answer,
// sleep), wait AnswerDelay (sleep), then run Action. A share of calls
// takes a failing Action instead (RejectRate, BusyRate, NoAnswerRate,
// Failures); NoAnswerAfter and TalkTime bound the call from the far side.
// Validate checks a value; servers do not.
type Inbound struct {
	// Action is one of "park" (default: park, unanswered), "answer"
	// (answer then park), "echo" (answer then echo), "reject" (hang up
	// with Cause), "busy" (USER_BUSY), "noanswer" (ring until the caller
	// or NoAnswerAfter gives up), "playback" (answer, play File, hang up),
	// "socket" (hand the call to the outbound-socket handler at Socket,
	// unanswered, as the dialplan's socket application does).
	Action string
	// Cause is the hang-up cause of "reject" (default CALL_REJECTED).
	Cause string
	// RingTime rings first (180 without media, ring_ready) for this long:
	// the caller sees CHANNEL_PROGRESS and call state RINGING, which does
	// not end an originate (unless return_ring_ready), as a phone ringing
	// before it is picked up.
	RingTime time.Duration
	// EarlyMedia then sends early media (183 with SDP, pre_answer) for
	// this long: the caller sees CHANNEL_PROGRESS_MEDIA and call state
	// EARLY, which ends an originate "+OK" before any answer unless it
	// sets ignore_early_media=true, as a carrier's announcement or
	// ringback tone does (captures 18 and 19).
	EarlyMedia time.Duration
	// AnswerDelay then waits this long (without ringing) before Action:
	// post-dial delay, e.g. before an answer.
	AnswerDelay time.Duration
	// RejectRate, BusyRate and NoAnswerRate override Action for that
	// fraction of calls (drawn from the server's seeded random source):
	// "reject", "busy" and "noanswer".
	RejectRate, BusyRate, NoAnswerRate float64
	// Failures makes each listed share of calls fail with its cause
	// instead of running Action (after the ring, early-media and delay
	// phases, as a 486 after ringing; leave those zero for an immediate
	// refusal): e.g. 10% USER_BUSY and 5% CALL_REJECTED, so a load test
	// sees the failure mix of a real network. Shares add to the rates
	// above; all together at most 1.
	Failures []Failure
	// NoAnswerAfter makes the far end give up on a call it has not
	// answered this long after the INVITE arrived, hanging up with
	// NoAnswerCause: a phone that rings out, a gateway's no-answer timer
	// (capture 19's emnoanswer is EarlyMedia 6 s with NoAnswerAfter 6 s).
	NoAnswerAfter time.Duration
	// NoAnswerCause is NoAnswerAfter's cause (default NO_ANSWER).
	NoAnswerCause string
	// TalkTime makes the far end hang up (NORMAL_CLEARING) this long after
	// Action answered, as a callee ending the conversation: calls have a
	// bounded hold time without the client hanging up.
	TalkTime time.Duration
	// File is played by the "playback" action.
	File string
	// Socket is the address (host:port) of the "socket" action's
	// outbound-socket handler, e.g. an esl.Server under test: the call
	// runs "socket <Socket> async full" and the handler drives it.
	Socket string
}

// Failure is a share of calls an emulated far end fails, and the cause it
// hangs up with.
type Failure struct {
	// Cause is a FreeSWITCH hang-up cause name, e.g. USER_BUSY.
	Cause string
	// Share is the fraction of calls, in [0, 1].
	Share float64
}

// inboundActions are the known Inbound.Action values ("" is "park").
var inboundActions = []string{"park", "answer", "echo", "reject", "busy", "noanswer", "playback", "socket"}

// IsCause reports whether name is a hang-up cause FreeSWITCH knows
// (switch_channel_str2cause), e.g. "USER_BUSY"; names are upper case.
func IsCause(name string) bool {
	_, ok := causeCodes[name]
	return ok
}

// Causes lists the hang-up cause names IsCause accepts, sorted.
func Causes() []string {
	out := make([]string, 0, len(causeCodes))
	for c := range causeCodes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Validate reports the first thing wrong with in, in one line: an unknown
// action or cause, a negative duration, a rate or share that is not a
// number in [0, 1], or rates and shares adding to more than 1.
func (in Inbound) Validate() error {
	if in.Action != "" && !slices.Contains(inboundActions, in.Action) {
		return fmt.Errorf("unknown action %q (known: %s)", in.Action, strings.Join(inboundActions, ", "))
	}
	if in.Action == "socket" && in.Socket == "" {
		return fmt.Errorf("action socket without a Socket address")
	}
	for _, c := range []struct{ name, v string }{{"cause", in.Cause}, {"no-answer cause", in.NoAnswerCause}} {
		if c.v != "" && !IsCause(c.v) {
			return fmt.Errorf("unknown %s %q", c.name, c.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ring time", in.RingTime}, {"early media", in.EarlyMedia}, {"answer delay", in.AnswerDelay},
		{"no-answer time", in.NoAnswerAfter}, {"talk time", in.TalkTime}} {
		if d.v < 0 {
			return fmt.Errorf("%s %v is negative", d.name, d.v)
		}
	}
	total := 0.0
	share := func(name string, v float64) error {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return fmt.Errorf("%s %v is not a share in [0, 1]", name, v)
		}
		total += v
		return nil
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"reject rate", in.RejectRate}, {"busy rate", in.BusyRate}, {"no-answer rate", in.NoAnswerRate}} {
		if err := share(r.name, r.v); err != nil {
			return err
		}
	}
	for _, f := range in.Failures {
		if !IsCause(f.Cause) {
			return fmt.Errorf("unknown cause %q", f.Cause)
		}
		if err := share(f.Cause+" share", f.Share); err != nil {
			return err
		}
	}
	if total > 1+1e-9 {
		return fmt.Errorf("failure shares add to %v, more than 1", total)
	}
	return nil
}

// SetInbound replaces the server's inbound call handling.
func (s *Server) SetInbound(in Inbound) {
	s.lock()
	s.cfg.Inbound = in
	s.unlock()
}

// pickAction draws a call's action: a failure for the configured shares,
// else in.Action. The random source is used only when some share is set,
// so configurations without any draw the same numbers as before.
func (s *Server) pickAction(in *Inbound) (action, cause string) {
	action, cause = in.Action, in.Cause
	if action == "" {
		action = "park"
	}
	if in.RejectRate <= 0 && in.BusyRate <= 0 && in.NoAnswerRate <= 0 && len(in.Failures) == 0 {
		return action, cause
	}
	x := s.rng.Float64()
	acc := 0.0
	for _, f := range []struct {
		share         float64
		action, cause string
	}{{in.RejectRate, "reject", in.Cause}, {in.BusyRate, "busy", ""}, {in.NoAnswerRate, "noanswer", ""}} {
		if acc += f.share; x < acc {
			return f.action, f.cause
		}
	}
	for _, f := range in.Failures {
		if acc += f.Share; x < acc {
			return "reject", f.Cause
		}
	}
	return action, cause
}

// sleepApp is the dialplan's "sleep <ms>".
func sleepApp(d time.Duration) queuedApp {
	return queuedApp{name: "sleep", arg: strconv.FormatInt(d.Milliseconds(), 10), loops: 1}
}

// runInbound runs the far end's rules (Config.Inbound) on a new inbound
// leg.
func (s *Server) runInbound(b *channel) {
	in := s.cfg.Inbound
	action, cause := s.pickAction(&in)
	one := func(name, arg string) queuedApp { return queuedApp{name: name, arg: arg, loops: 1} }
	if in.RingTime > 0 {
		b.queue = append(b.queue, one("ring_ready", ""), sleepApp(in.RingTime))
	}
	if in.EarlyMedia > 0 {
		b.queue = append(b.queue, one("pre_answer", ""), sleepApp(in.EarlyMedia))
	}
	if in.AnswerDelay > 0 {
		b.queue = append(b.queue, sleepApp(in.AnswerDelay))
	}
	answer := one("answer", "")
	if in.TalkTime > 0 {
		answer.then = func() {
			b.after(in.TalkTime, func() { s.hangup(b, "NORMAL_CLEARING") })
		}
	}
	switch action {
	case "reject":
		if cause == "" {
			cause = "CALL_REJECTED"
		}
		b.queue = append(b.queue, one("hangup", cause))
	case "busy":
		b.queue = append(b.queue, one("hangup", "USER_BUSY"))
	case "noanswer":
		if in.RingTime <= 0 && in.EarlyMedia <= 0 {
			b.queue = append(b.queue, one("ring_ready", ""))
		}
		b.queue = append(b.queue, one("park", ""))
	case "answer":
		b.queue = append(b.queue, answer, one("park", ""))
	case "echo":
		b.queue = append(b.queue, answer, one("echo", ""))
	case "playback":
		b.queue = append(b.queue, answer, one("playback", in.File))
	case "socket":
		b.queue = append(b.queue, one("socket", in.Socket+" async full"))
	default:
		b.queue = append(b.queue, s.dialplanApps(b, b.prof.dest)...)
	}
	if in.NoAnswerAfter > 0 {
		c := in.NoAnswerCause
		if c == "" {
			c = "NO_ANSWER"
		}
		b.after(in.NoAnswerAfter, func() {
			if !b.answered {
				s.hangup(b, c)
			}
		})
	}
	b.runNext()
}

// dialplanApps is the emulated XML dialplan, the captured server's: in
// context switchio, "em<ms>" sends early media (pre_answer), waits <ms>
// and parks; "emnoanswer" sends early media for 6 s and hangs up
// NO_ANSWER; "ring<ms>" rings (ring_ready), waits <ms> and parks.
// Everything else parks.
func (s *Server) dialplanApps(ch *channel, exten string) []queuedApp {
	if ch.prof.context == "switchio" {
		if exten == "emnoanswer" {
			// ^emnoanswer$ has no capture group: no DP_MATCH
			ch.moveVar("call_uuid", ch.varOr("call_uuid", ch.uuid))
			return []queuedApp{{name: "pre_answer", loops: 1}, {name: "sleep", arg: "6000", loops: 1},
				{name: "hangup", arg: "NO_ANSWER", loops: 1}}
		}
		for _, x := range []struct{ prefix, app string }{{"em", "pre_answer"}, {"ring", "ring_ready"}} {
			ms, ok := strings.CutPrefix(exten, x.prefix)
			if !ok || !allDigits(ms) {
				continue
			}
			ch.setVar("DP_MATCH", "ARRAY::"+exten+"|:"+ms)
			ch.moveVar("call_uuid", ch.varOr("call_uuid", ch.uuid))
			return []queuedApp{{name: x.app, loops: 1}, {name: "sleep", arg: ms, loops: 1}, {name: "park", loops: 1}}
		}
	}
	ch.setVar("DP_MATCH", "ARRAY::"+exten+"|:"+exten)
	ch.moveVar("call_uuid", ch.varOr("call_uuid", ch.uuid))
	return []queuedApp{{name: "park", loops: 1}}
}

// allDigits reports whether s is one or more ASCII digits (\d+).
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
