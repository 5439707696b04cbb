// Package fsemu is an embeddable, in-process emulated FreeSWITCH 1.10: it
// speaks the real Event Socket (ESL) protocol over TCP and simulates
// channels and calls, so code that drives FreeSWITCH can be tested without
// one, the way miniredis stands in for Redis.
//
// A two-server cluster in a test takes three lines:
//
//	c := fsemu.RunClusterT(t, 2)
//	fs1, fs2 := c.Server(0), c.Server(1)
//	conn, _ := net.Dial("tcp", fs1.Addr()) // auth ClueCon, then
//	// bgapi originate sofia/external/1000@<fs2.SIPAddr()> &park()
//
// The call's A leg lives on fs1 and its B leg on fs2, which parks it (see
// Inbound for other behaviours); "uuid_answer <b-uuid>" on fs2 answers and
// completes the originate on fs1. Events, replies and api bodies are
// byte-for-byte FreeSWITCH's for everything supported: the ESL server
// (auth, api, bgapi, event plain|json|xml, filter, myevents, sendmsg,
// sendevent, log, exit), channel state machines and their events, the
// common api commands (originate, uuid_*, hupall, show, status, fsctl,
// sofia status, global_getvar ...), heartbeats and disconnect notices.
//
// Everything runs on a Clock; with a *VirtualClock tests advance time
// explicitly (ring times, sched_hangup, playback length, heartbeats) and
// stay fast and reproducible. The direct API (Channels, Channel, Hangup,
// Answer, SetVar, API, CommandCount) inspects and changes state without
// the protocol, and Kill, DropConnections, Stall, SendMalformed and
// FloodEvents inject faults.
package fsemu
