// Package esl is a client for FreeSWITCH's Event Socket (mod_event_socket):
// inbound connections to a FreeSWITCH server (Dial, Conn) and outbound
// connections that FreeSWITCH's "socket" application opens to this program
// (Server, OutboundConn). Framing and event decoding are done by package
// esl/wire; this package adds connection management, request/reply
// matching, background jobs and event delivery.
//
// # Connecting
//
// Dial connects, waits for FreeSWITCH's auth/request and authenticates:
//
//	c, err := esl.Dial(ctx, "127.0.0.1:8021", esl.Config{Password: "ClueCon"})
//	if err != nil { ... }
//	defer c.Close()
//	out, err := c.API(ctx, "status")
//
// DialTimeout and AuthTimeout bound the two halves of the handshake; ctx
// bounds both. Failures are classified (see Errors).
//
// # Reconnecting
//
// A Conn is one TCP connection and never reconnects by itself, because the
// state that would have to be replayed (subscriptions, filters, log level,
// jobs in flight) belongs to the application. Done() is the hook: it is
// closed once the connection has ended, Err() says why, and Events() is
// closed after the last event, so a supervisor loop is simply
//
//	for ctx.Err() == nil {
//		c, err := esl.Dial(ctx, addr, cfg)
//		if err != nil { time.Sleep(backoff); continue }
//		c.Subscribe(ctx, wire.FormatPlain, "ALL")
//		for ev := range c.Events() { handle(ev) }
//		log.Print("lost FreeSWITCH: ", c.Err()) // *DisconnectError, ErrSlowConsumer, ...
//		c.Close()
//	}
//
// # Concurrency model
//
// Every Conn has two goroutines, its reader and its writer. All methods are
// safe for concurrent use by many goroutines, and requests are pipelined: a
// method queues its command and waits for the reply without blocking other
// callers.
//
// FreeSWITCH answers commands strictly in order, and a reply frame
// (command/reply or api/response) carries nothing that identifies its
// command. So Conn keeps a FIFO of waiting requests. The writer takes every
// queued command at once, appends them to the FIFO and writes their frames
// with a single write, so FIFO order is wire order and concurrent callers
// share system calls; the reader hands each reply frame to the oldest
// waiter. Events, log lines and notices never consume a waiter.
//
// Queued and unanswered commands are bounded by Config.CommandQueueSize
// (default 10000): beyond it a command fails at once with ErrQueueFull,
// counted in Stats.QueueFull; Stats.Queued and Stats.InFlight report the
// depth.
//
// Every request honours its ctx, whatever the state of the socket:
//
//   - Still queued (for instance behind a write blocked because FreeSWITCH
//     stopped reading): the command is withdrawn and never written; the
//     caller gets ctx.Err() at once.
//   - Being written: the write is interrupted. If the command had not
//     started to reach the wire, it is dropped as above and the commands
//     written with it are written later. If it was cut halfway (or another
//     command of the same write was), the stream can no longer be framed:
//     the connection ends with an error wrapping ErrWriteTimeout, which the
//     caller's error wraps too, with ErrClosed and ctx.Err().
//   - Written: the caller gets a *NoReplyError naming the command and
//     wrapping ctx.Err() at once, but its place in the
//     FIFO stays reserved: the late reply is read and thrown away instead
//     of being handed to the next caller. (Libraries that drop a timed-out
//     waiter misalign every later reply.)
//
// A write only blocks when the socket buffers are full, so a deadline that
// passes while a write completes normally never cuts a command.
//
// # api and bgapi
//
// FreeSWITCH runs an "api" command in the connection's own thread. Until it
// finishes, nothing else is written on that connection: no events, no
// replies to pipelined commands. API is right for quick commands (status,
// uuid_getvar, show ...). Anything that can take time, originate above all,
// should use BgAPI: FreeSWITCH acknowledges the job at once ("+OK
// Job-UUID: ...") and later sends its output in a BACKGROUND_JOB event, so
// the connection keeps flowing. (A second connection for slow api calls
// would also work, but doubles authentication and subscription state, and
// a blocking "api originate" on the connection that must answer the far
// leg deadlocks.) APIBackground is BgAPI followed by Job.Wait.
//
// A BACKGROUND_JOB event is only sent to connections subscribed to it. The
// first BgAPI on a connection that is not subscribed to BACKGROUND_JOB (or
// ALL) therefore sends "event <format> BACKGROUND_JOB" first, in the
// format of the last Subscribe (plain if none), because FreeSWITCH keeps a
// single event format per connection. Filters and inbound "myevents" can
// hide BACKGROUND_JOB events: add "filter Event-Name BACKGROUND_JOB" when
// filtering, and do not rely on bgapi after MyEvents on an inbound
// connection.
//
// The reader completes the Job with the matching Job-UUID before the event
// goes anywhere else. The event is also delivered on Events() if the
// application subscribed BACKGROUND_JOB or ALL itself; jobs' events that
// only the automatic subscription asked for are consumed by their Job, so
// an application that never reads Events() is not disconnected for it. A
// BACKGROUND_JOB that matches no Job is always delivered. The job table is
// not bounded by the library: FreeSWITCH sends one BACKGROUND_JOB per
// acknowledged bgapi, and jobs still waiting when the connection ends fail
// with an error wrapping ErrClosed (Stats.JobsPending counts them).
//
// # Events and the overflow policy
//
// The reader decodes each event frame (plain, json or xml) and pushes it
// onto a buffered channel of Config.EventQueueSize (default 100000, the
// queue FreeSWITCH itself keeps per listener). There is no goroutine per
// event, so Events() yields events in exactly the order they were sent.
// Log lines (after Log) go to Logs(), a second channel of the same size.
//
// Events are never dropped silently. When a channel is full, the
// Config.Overflow policy decides:
//
//   - OverflowDisconnect (default) closes the connection; Err() is
//     ErrSlowConsumer. This is what FreeSWITCH does to its own listeners
//     that fall behind, it keeps memory bounded, and the application sees
//     the loss and can reconnect.
//   - OverflowBlock stops the reader until there is room. Backpressure then
//     reaches FreeSWITCH through TCP. Replies queue behind the blocked
//     events, so the goroutine that drains Events() must not itself wait
//     for a reply while the queue is full.
//
// Stats reports events received, the queue length and its high-water mark,
// so a consumer can see how close it runs to the limit.
//
// Config.EventHandler replaces the channel with a function the reader
// calls for each event, in order. It saves every event a hand-off between
// goroutines (at 60 calls/s, where events arrive one at a time, a wake-up
// of the consumer and often of a second thread), at the price of the
// reader's time: while the handler runs, nothing more is read, replies
// included, so the handler must not wait for anything of the connection.
// switchio's cluster package uses it for its event loops, whose handlers
// can only queue commands.
//
// An event frame whose body cannot be decoded (the frame itself is whole:
// its Content-Length held) is skipped, not fatal: it is counted in
// Stats.EventsUndecodable and the first one of a connection is logged as a
// warning through Config.Logger (later ones at debug level). A
// BACKGROUND_JOB lost that way leaves its Job waiting until the connection
// ends. Plain-event values continued on further lines are accepted (see
// wire.ParseEventPlain).
//
// Events() and Logs() are closed when the connection ends, after the last
// event read.
//
// # Outbound mode
//
// With <action application="socket" data="host:port async full"/> in the
// dialplan, FreeSWITCH connects to the application. A Server accepts these
// connections, sends "connect", and hands each to its Handler as an
// OutboundConn, whose ChannelData holds the channel's variables from the
// connect reply. OutboundConn embeds *Conn, so every command (SendMsg,
// Execute, Subscribe, API, BgAPI) is available, with uuid "" meaning the
// controlled channel; MyEvents, Linger, NoLinger, GetVar and Resume are
// outbound-only. After Linger, the "linger" disconnect notice that follows
// the hangup does not end the connection (see Lingering); the final notice
// does.
//
// # Errors
//
// Errors wrap the package's sentinels and types, so test them with
// errors.Is and errors.As:
//
//   - ErrRefused: nothing listens at the address (the net error is wrapped).
//   - ErrAuth: wrong password (-ERR invalid).
//   - ErrRejected: FreeSWITCH's ACL refused the client (text/rude-rejection).
//   - ErrTimeout: DialTimeout or AuthTimeout expired; a ctx that ends yields
//     ctx.Err() instead.
//   - *NoReplyError: a command was written but its ctx ended before the
//     reply came (a stuck or overloaded server); it wraps ctx.Err().
//   - *CommandError: FreeSWITCH answered "-ERR ..." or an api body started
//     with "-ERR"/"-USAGE" (Usage is then true). Cause() is the hang-up
//     cause of a failed originate ("-ERR USER_BUSY" gives "USER_BUSY"),
//     "" for other replies.
//   - ErrClosed: the connection had ended; requests and jobs that were
//     pending then get an error that wraps both ErrClosed and the cause.
//   - *DisconnectError: FreeSWITCH sent a disconnect notice (shutdown,
//     lost events, end of an outbound session); Err() returns it.
//   - ErrSlowConsumer: the event queue overflowed (OverflowDisconnect).
//   - ErrQueueFull: Config.CommandQueueSize commands were already queued
//     or awaiting replies; nothing was sent, the connection goes on.
//   - ErrWriteTimeout: a command's ctx ended while its frame was half
//     written to a peer that stopped reading; the connection ends.
//   - *wire.ProtocolError: the peer broke the framing rules; the connection
//     ends, nothing panics.
//
// The password is never written to logs or error strings.
package esl
