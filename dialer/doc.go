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
// SetMaxOffered, SetDuration, SetHoldDist, SetRamp, SetServerLimit,
// SetWeight); Arrivals, HoldDist, Seed and Stages set the traffic model
// (see Traffic models). The
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
// # Traffic models
//
// Config.Arrivals spaces the offers: Fixed (evenly: call k of a schedule
// at the point where the integrated rate reaches k) or Poisson
// (exponential gaps of mean 1/rate). Poisson gaps are unit-rate
// exponential draws in the integrated-rate domain, mapped to time through
// the same schedule, so they too are drawn ahead (open loop, CatchUp
// applies), and a ramp, a stage or SetRate gives a Poisson process of the
// time-varying rate; a rate change keeps the next call's place in that
// domain. Config.HoldDist draws each call's hold at offer time: HoldFixed
// (Duration), HoldExp (mean), HoldUniform (min, max) or HoldLognormal
// (median and sigma, the standard deviation of the hold's logarithm),
// clipped at HoldClip (10) times the mean so the drain and the
// server-side guard stay bounded; the controller's hang-up and the guard
// use each call's own hold, and Duration() is then the mean.
// Config.Stages is a k6-style load profile replacing Rate and Ramp: each
// stage ramps linearly from the previous target (0 first) to its own over
// its duration (0: a jump), each stage's start is in the change log, and
// the dialer stops after the last one. Arrival gaps and holds come from
// two PCG streams (math/rand/v2) of one seed, Config.Seed (random when 0,
// reported in Summary.Seed): a seed repeats a run's draws, and its
// arrivals do not depend on the hold distribution.
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
// origination_uuid, sip_h_X-switchio_originating_session=<A-leg uuid>,
// sip_h_X-switchio_app_id=<app id> (which the cluster core reads to join
// the legs and pick the app, see cluster.DefaultCorrelationHeaders and
// cluster.DefaultAppIDHeaders), sip_h_X-switchio_app=<app name> (as the
// original switchio sent it, for far ends keyed on it; Config.AppHeader
// replaces it, e.g. by the app id of a far end's switchio serve, whose
// client reads it since it serves no app under the dialer's id),
// ignore_early_media=true and the server-side hang-up guard. By default
// each server calls itself at its own SIP address, read from "sofia
// status profile <profile>".
//
// # Answer, early media and outcomes
//
// Without ignore_early_media a real FreeSWITCH ends the originate's job
// +OK at the first CHANNEL_PROGRESS_MEDIA (a 183 with early media), which
// carriers and IVRs send long before, or instead of, an answer: a
// 1.5 s early-media far end would show a set-up time of a few ms and a
// never-answering one would count as answered (captures 18 and 19 of
// testdata/captures). So every originate carries ignore_early_media=true
// (a Request variable of that name overrides it), and a call is answered
// only at its originating leg's CHANNEL_ANSWER. The A leg's
// CHANNEL_PROGRESS (180) and CHANNEL_PROGRESS_MEDIA (183) times are kept
// per call: the post-dial delay is the first of them.
//
// Each offered call is answered or Failed (never answered, with its
// cause); each answered call ends Completed (held its time), Dropped
// (ended early by the far end or the network) or Abandoned (ended early
// by switchio: Hupall, drain, a lost server). Summary and CallOutcome give
// these; answered + failed == offered.
//
// # Hold time
//
// FreeSWITCH's scheduler (switch_scheduler.c) runs a task due at
// "+N" seconds from whole epoch seconds, so execute_on_answer='sched_hangup
// +2' holds a call between 1 and 2 s. By default the dialer hangs each
// call up itself, Duration after its CHANNEL_ANSWER reached the
// controller (uuid_kill), and the server's sched_hangup is only a guard,
// Margin (at least 2 s) later with cause ALLOTTED_TIMEOUT, for calls whose
// controller is gone. The hold error (the A leg's billmsec minus
// Duration) is in the Summary and each CallOutcome.
//
// Server-side hang-up used to be the default for one reason: a hang-up
// sent when the hold ends could queue behind originates on a busy server
// and be late. It does not here: hang-ups have their own sender per
// server, never behind the originates' queue, and up to 64 are pipelined
// without waiting for each reply; on FreeSWITCH a bgapi uuid_kill runs in
// its own thread at once. On a saturated server every command queues
// behind the CPU backlog (fsemu's capacity model shows it), and the hold
// error grows with it; see the README's real-servers section for figures.
// Config.ServerHangup restores the server-only hold (whole seconds,
// no controller traffic at hang-up).
//
// # Saturation
//
// A real FreeSWITCH whose CPU is the limit does not refuse originates: it
// queues them before their A leg exists, and the time to the A leg's
// CHANNEL_CREATE grows without bound. The dialer watches, per server, the
// originates not yet taken on (no A leg, no result) and the time to take
// them on (windowed mean and the age of the oldest waiting); when both
// rise it reports the server saturated, with the rate it actually managed
// (Stats live, Summary at the end). The rest of a set-up (the far end
// ringing, early media, a late answer) is not the server's and is not
// watched: a ringing far end is not an overloaded server. When the controller's own
// queue of a server's events is deep instead, the delay is the
// controller's: it is reported as such, not as the server's saturation. Summary.AchievedRate is the
// rate calls were set up at, never the offered rate: (answered - 1) over
// the longer of the answers' and the offers' spans, so it cannot exceed
// Summary.OfferedRate and drops below it when a server falls behind. Failure causes
// (-ERR results and abnormal hang-ups) are counted per server.
package dialer
