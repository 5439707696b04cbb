package dialer

import (
	"time"

	"github.com/switchio/switchio/measure"
)

// CallOutcome is one offered call, written when it has ended: every
// offered call gets exactly one.
type CallOutcome struct {
	// UUID is the A leg's uuid (also the Job-UUID and the call's
	// correlation key); Seq its offer number from 0.
	UUID string
	Seq  uint64
	// Server is the event socket address of the server that placed the
	// call; App the app's label (its spec, e.g. "TonePlay/freq=440").
	Server, App string
	// Picked is when the call was handed to its server's sender (its
	// offer time in the schedule); Offered when the originate was sent
	// (zero for a call never sent); Ringing and EarlyMedia when
	// the originating leg got 180 (CHANNEL_PROGRESS) and 183
	// (CHANNEL_PROGRESS_MEDIA); Answered its CHANNEL_ANSWER; HungUp its
	// hang-up. Zero when not reached. Local clock.
	Picked, Offered, Ringing, EarlyMedia, Answered, HungUp time.Time
	// Cause is the A leg's hang-up cause or the originate's -ERR cause.
	Cause string
	// Outcome is failed, or for answered calls completed, dropped or
	// abandoned (see Outcome).
	Outcome Outcome
	// OK is true for a completed call.
	OK bool
	// Setup is Answered - Offered (0 if never answered); PostDialDelay
	// is the first of Ringing, EarlyMedia and Answered - Offered.
	Setup, PostDialDelay time.Duration
	// Hold is the hold time asked for (0 for a call of a self-ending
	// app, which holds its calls as it needs; see appkit.SelfEnding);
	// BillMsec the A leg's billmsec as the server reported it (-1: not
	// reported); HoldError the time held minus Hold (billmsec when
	// reported, else the local clock), for answered calls.
	Hold      time.Duration
	BillMsec  int64
	HoldError time.Duration
	// AudioLegs are the legs the call's app needs audio on
	// (measure.AudioReceiver), checked in the call's CDR (rtp_ok).
	AudioLegs measure.Legs
	// HangupBy is "server" for a completed call its server's scheduled
	// hang-up ended (the guard, or the hold with Config.ServerHangup),
	// else empty: the outcome says who ended it (measure.Record.HangupBy).
	HangupBy string
}

// record builds a CallOutcome; o.mu held.
func (o *Originator) record(c *call, out Outcome) CallOutcome {
	r := CallOutcome{UUID: c.uuid, Seq: c.n, Server: c.srv.addr, App: c.app.label,
		Picked: o.at(c.picked), Offered: o.at(c.offered), Ringing: o.at(c.ringing), EarlyMedia: o.at(c.earlyMedia),
		Answered: o.at(c.answered), HungUp: o.at(c.hungUp), Cause: c.cause,
		Outcome: out, OK: out == Completed, Hold: c.hold, BillMsec: c.billmsec, AudioLegs: c.app.audioLegs}
	if !c.sent {
		r.Offered = time.Time{}
	}
	if o.serverEnded(c, out) {
		r.HangupBy = "server"
	}
	if c.answered != 0 {
		r.Setup = c.answered - c.offered
	}
	if first := firstOf(c.ringing, c.earlyMedia, c.answered); first != 0 {
		r.PostDialDelay = first - c.offered
	}
	if c.app.selfEnding != nil {
		r.Hold = 0
	} else if d, ok := o.holdError(c); ok {
		r.HoldError = d
	}
	return r
}

// firstOf returns the earliest non-zero offset (0 if none).
func firstOf(ts ...time.Duration) time.Duration {
	var first time.Duration
	for _, t := range ts {
		if t != 0 && (first == 0 || t < first) {
			first = t
		}
	}
	return first
}

// Facts returns what the dialer knows of the call for a CDR
// (collect.CallRecorder.Complete): exactly one per offered call.
func (r CallOutcome) Facts() measure.Facts {
	return measure.Facts{CallID: r.UUID, Seq: int64(r.Seq), Server: r.Server, App: r.App,
		Outcome: r.Outcome.String(), Cause: r.Cause, Picked: r.Picked, Sent: r.Offered,
		LocalAnswer: r.Answered, LocalHangup: r.HungUp, Hold: r.Hold, BillMsec: r.BillMsec, AudioLegs: r.AudioLegs,
		HangupBy: r.HangupBy}
}
