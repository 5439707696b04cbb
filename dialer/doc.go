// Package dialer is switchio's auto-dialer: an Originator offers calls
// through a pool of FreeSWITCH servers (cluster.Pool) at a precise rate,
// within concurrency limits, and measures what the servers make of them.
//
// # Settings
//
// Rate (calls per second over the pool, fractional allowed), Limit
// (concurrent calls, "erlangs"), MaxOffered (exact: never one call more),
// Duration (hold time from answer; Limit/Rate + 5 s when unset) and Ramp
// (a linear ramp-up) all change while running (SetRate, SetLimit,
// SetMaxOffered, SetDuration, SetRamp, SetServerLimit, SetWeight). The
// Originator moves INITIAL -> ORIGINATING <-> STOPPED: Start, Stop, Hupall
// (this dialer's calls only), HardHupall (every call), Shutdown, Close;
// Wait, WaitForState and WaitWhile block; CheckState compares.
//
// # Pacing
//
// Pacing is open loop over the whole pool: call n is due at
// start + n/rate (integrated over a ramp), not "sleep after send", so a
// late wake-up catches up instead of drifting; a lag beyond Config.CatchUp
// restarts the schedule rather than bursting. Nothing waits for a call's
// result before the next is sent: originates go out as bgapi with the A
// leg's uuid as Job-UUID, a few senders per server write them, and the
// BACKGROUND_JOB events complete them, so many are in flight on one
// connection.
//
// # Capacity
//
// A call holds a slot from the moment it is offered until its last leg is
// destroyed, so the servers never carry more than Limit calls (nor more
// than a server's own cap). Each call goes to the server with the lowest
// load relative to its cap. When every slot is taken the pacer sleeps
// until a hang-up frees one (no spinning), and skips the calls it missed
// meanwhile instead of sending them in a burst. Each call's app is picked
// by smooth weighted round robin over the loaded app ids.
//
// # Calls
//
// Each originate is built by package originate from Config.Request (and
// Config.PerCall for per-call destinations or caller ids) with:
// origination_uuid, sip_h_X-switchio_originating_session=<A-leg uuid> and
// sip_h_X-switchio_app=<app id> (which the cluster core reads to join the
// legs and pick the app, see cluster.DefaultCorrelationHeaders), and the
// hold, execute_on_answer='sched_hangup +<Duration> NORMAL_CLEARING', so
// the server ends the call even if the controller dies; a per-call hang-up
// sent by the controller would queue behind the originates on a busy
// server. Config.ControllerHangup is the margin variant: the dialer hangs
// up after exactly Duration, and the server's sched_hangup, Config.Margin
// later, only guards against orphans. By default each server calls itself at its own SIP address, read
// from "sofia status profile <profile>".
//
// # Saturation
//
// A real FreeSWITCH whose CPU is the limit does not refuse originates: it
// queues them, and set-up time grows without bound. The dialer watches, per
// server, the backlog of originates without a result and the set-up
// latency (windowed mean and the age of the oldest waiting originate); when
// both rise it reports the server saturated, with the rate it actually
// managed (Stats live, Summary at the end). When the controller's own
// queue of a server's events is deep instead, the delay is the
// controller's: it is reported as such, not as the server's saturation. Summary.AchievedRate is the
// rate calls were set up at, never the offered rate. Failure causes
// (-ERR results and abnormal hang-ups) are counted per server.
package dialer
