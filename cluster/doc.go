// Package cluster is switchio's core: it controls FreeSWITCH servers over
// the event socket, one Client (one connection, one event loop) per server,
// and a Pool of them.
//
// # Tracking
//
// A Client tracks Sessions (one per channel), Calls (legs joined by a
// correlation key, across the servers of a Pool) and background jobs, from
// a narrow event subscription (BACKGROUND_JOB and the channel life-cycle
// events) plus whatever loaded apps declare. A session keeps its identity,
// direction, state and times — FreeSWITCH's clock and the local clock apart
// — and not the events' full header sets, so memory per session is small.
// CHANNEL_DESTROY is the destructor; Counters count sessions, calls, jobs
// (this client's own) and failures by hang-up cause. Header values are
// copied out of events, never kept as views of them: a tracked session
// with its call costs about 600 bytes (BenchmarkSessionMemory). A call's
// originating leg — the one whose uuid is the correlation key — is its
// First, whichever server's event arrives first.
//
// # Apps
//
// An App registers handlers for the events it handles in Setup; those
// events are subscribed automatically. Events are dispatched to the apps of
// the session's app id in load order. A session's app id is read once,
// when it is first seen, from Config.AppIDHeaders (by default
// X-switchio_app_id, then X-switchio_app, then the switchio_app variable):
// the first value that names an app id loaded on the client, else the
// first value present, else "default"; an event of no session is read the
// same way. So a far end serving apps under its own id takes the calls
// that name it in X-switchio_app even though their X-switchio_app_id is
// the caller's, and no client takes calls naming none of its ids. An
// inbound session whose id no loaded app serves is left to the dialplan
// (parked, it stays up until its caller hangs up): it is logged and
// counted in Counters.Unrouted. A handler runs on the
// loop and must not block: it sends commands with their queued form,
// Session.Queue (s.Queue().Answer()), which returns at once. Sequential
// call flows use Registrar.Flow or Client.Go: they run in their own
// goroutine, where the Session methods wait (Answer returns once
// CHANNEL_ANSWER arrived, Recv waits for the next event of a kind, and every
// wait fails with ErrHungUp as soon as the channel hangs up). Recv sees only
// what arrives while it waits; Session.Events opens a bounded stream that
// keeps a session's events from the moment it is opened until they are
// read (EventStream.CollectDigits reads DTMF digits from one), so a flow
// that opens it before the command that causes them loses none. A waiting
// method called with a handler's context fails at once with ErrWouldBlock
// rather than stall the loop. A handler's panic or a flow's error is logged
// with the call id and stops neither the other apps nor the loop.
//
// # Commands
//
// Session commands go out as bgapi jobs or sendmsg, never as blocking api
// calls, so a slow command never holds up the connection's events. Values
// that could break a command line are rejected (ErrBadArgument) or quoted
// (QuoteArg).
//
// Each command has two forms. The Session method waits and takes a ctx;
// each method's doc says for what: an api command's result (most), a
// sendmsg's reply (applications: the server queued them, they have not
// run), or the event that shows it done (Answer waits for CHANNEL_ANSWER,
// ExecuteWait for CHANNEL_EXECUTE_COMPLETE, Playback until the file has
// played). Applications are sent with event-lock, so one runs to its end
// before the next starts (without it a real FreeSWITCH runs a later
// execute inside a running playback). The queued form
// (Session.Queue) checks its arguments and queues it: queued commands of
// one session are sent in order, each once the previous one was
// acknowledged, while those of different sessions are pipelined on the
// connection (Config.Senders at once). The queue is bounded
// (Config.QueueDepth): a command beyond it fails at once with ErrQueueFull,
// so a slow or unreachable server pushes back instead of piling up memory.
// Counters report the queue's depth, high-water mark, refusals and the
// queued commands that failed once sent.
//
// # Reconnect
//
// When a connection drops, the client reconnects with exponential backoff,
// re-subscribes, and resynchronises its sessions from "show channels as
// json": the events queued before the listing are handled first, sessions
// the server no longer has end with LOST_ON_RECONNECT, and channels made
// while the client was away are adopted from uuid_dump with their app id
// and call. The other servers of the pool keep working meanwhile. With
// Config.NoReconnect the sessions end (SERVER_DISCONNECTED) and commands
// fail with ErrDisconnected. Close stops the loop and waits for the flows,
// which see their ctx cancelled.
package cluster
