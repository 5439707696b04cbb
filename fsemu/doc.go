// Package fsemu is an embeddable, in-process emulated FreeSWITCH 1.10: it
// speaks the real Event Socket (ESL) protocol over TCP and simulates
// channels and calls, so code that drives FreeSWITCH can be tested without
// one, the way miniredis stands in for Redis.
//
// A two-server cluster in a test takes three lines (esl is this module's
// client package; any ESL client works):
//
//	c := fsemu.RunClusterT(t, 2) // two servers on one SIP network, closed by t.Cleanup
//	conn, _ := esl.Dial(ctx, c.Server(0).Addr(), esl.Config{Password: "ClueCon"})
//	job, _ := conn.BgAPI(ctx, "originate sofia/external/1000@"+c.Server(1).SIPAddr()+" &park()")
//
// The call's A leg lives on the first server and its B leg on the second,
// which parks it unanswered, as the captured FreeSWITCH's dialplan did;
// "uuid_answer <b-uuid>" on the second server answers it and completes the
// job. Config.Inbound (or Server.SetInbound) makes servers answer, ring,
// echo, reject or ignore calls instead: ring (180) for a while, send early
// media (183) for a while, answer after a delay, never answer and hang up
// with a cause, fail a share of calls with given causes, hang up after a
// talk time — the far ends of captures 18-20, also reached by dialling
// em<ms>, emnoanswer and ring<ms> in the switchio context, as the
// captured dialplan did. An originate ends +OK at early media unless it
// sets ignore_early_media=true, as FreeSWITCH's does
// (switch_ivr_originate.c). Events, replies and api bodies are
// byte-for-byte FreeSWITCH's for everything supported: the ESL server
// (auth, api, bgapi, event plain|json|xml, filter, myevents, sendmsg,
// sendevent, log, exit), channel state machines and their events, the
// common api commands (originate, uuid_*, hupall, show, status, fsctl,
// sofia status, global_getvar ...), heartbeats and disconnect notices.
//
// The "socket" application (outbound event socket) connects to the
// address given, as FreeSWITCH does, and serves connect, myevents, linger,
// getvar, resume and sendmsg on it; Inbound's "socket" action hands a
// server's inbound calls to an outbound-socket handler under test.
//
// An application fsemu does not run is refused as FreeSWITCH refuses one it
// does not have: "Invalid Application <name>" logged, no CHANNEL_EXECUTE,
// a hang-up with DESTINATION_OUT_OF_ORDER (refuse.go lists what runs, and
// docs/fsemu.md what was checked against the reference server). read and
// play_and_get_digits collect the digits the channel receives.
//
// Fidelity: replies, api bodies, notices and non-channel events (API,
// BACKGROUND_JOB, HEARTBEAT, SHUTDOWN, sendevent) match FreeSWITCH 1.10.12
// byte for byte once run-dependent values (uuids, times, sequence numbers)
// are set aside; channel events match the captures in event order per leg
// and in header set, with plausible values for SIP tags, ports and SDP.
// The golden tests replay the captures in ../testdata/captures.
//
// Limits are those of the captured server: 2000 sessions and 200 new
// sessions per second (a per-server budget refilled every second of the
// server's Clock, so with a VirtualClock advance time between bursts).
//
// Not emulated, or simplified: of a dial string with several legs (",",
// "|", ":_:") only the first is dialed; userauth is always refused;
// sendmsg's event-lock and async flags are accepted, and a channel runs
// its queued applications in order either way; the capacity model charges
// a call to the server that originates it; mod_bert's figures follow the
// configured loss (Link.Loss, Impairments) rather than an analysis of the
// audio.
//
// Config.Impairments (Server.SetImpairments) faults the media a server's
// channels receive: lost or swapped DTMF digits, audio lost in bursts,
// calls that hear nothing. Recordings (record_session, uuid_record) are
// rendered from what each channel heard and sent: the far end's playback
// through bridges, after the impairments and uuid_audio's mute and level,
// mixed, one direction only or in stereo as the RECORD_* variables ask.
//
// sched_* tasks run as FreeSWITCH's scheduler runs them: whole epoch
// seconds, passes up to 500 ms apart (switch_scheduler.c). Call-detail
// variables carry FreeSWITCH's values on FreeSWITCH's events.
//
// Everything runs on a Clock; with a *VirtualClock tests advance time
// explicitly (ring times, sched_hangup, playback length, heartbeats) and
// stay fast and reproducible. The direct API (Channels, Channel, Hangup,
// Answer, SetVar, API, CommandCount) inspects and changes state without
// the protocol, and Kill, DropConnections, Stall, SendMalformed,
// FloodEvents and DenyAPI inject faults.
package fsemu
