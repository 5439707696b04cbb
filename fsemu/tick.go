package fsemu

import "time"

// DefaultClockTick is the period of a vanilla FreeSWITCH's timestamp
// clock: switch_core.c sets runtime.microseconds_per_tick = 20000 unless
// switch.conf.xml sets 1ms-timer (then 1000).
const DefaultClockTick = 20 * time.Millisecond

// ExactClock, as Config.ClockTick, stamps exact times (to the
// microsecond): no FreeSWITCH does, but a test may want them.
const ExactClock time.Duration = -1

// The timestamp clock (switch_time.c, 1.10.12).
//
// FreeSWITCH stamps events and channel times with switch_micro_time_now(),
// which returns runtime.timestamp while the core runs:
//
//	SWITCH_DECLARE(switch_time_t) switch_micro_time_now(void)
//	{
//		return (globals.RUNNING == 1 && runtime.timestamp) ? runtime.timestamp : switch_time_now();
//	}
//
// and runtime.timestamp is set only by the soft timer's thread
// (softtimer_runtime), once per tick: it adds microseconds_per_tick to
// runtime.reference, sleeps until the clock reaches it, then stores the
// time it read ("runtime.timestamp = ts"). So every Event-Date-Timestamp,
// Caller-Channel-*-Time, variable_*_uepoch and sip_invite_stamp of a
// vanilla server lies on a grid of 20 ms, its phase fixed when the timer
// thread started (runtime.reference = switch_time_now() at start-up), and
// all times stamped within one tick are equal. The real captures show it
// (testdata/captures/README.md): a call's create, originate and answer
// often carry one identical time.
//
// fsemu keeps its own times exact (channel.created, answeredAt ... place
// audio in recordings, mixes and bert; timers run on the Clock) and ticks
// only what it sends, with stampUs and stampNow: the last tick at or
// before the exact time, on a grid whose phase is the server's start.
// The real timer's jitter (the thread wakes up a few µs late, ±~20 µs
// around the grid as measured on 1.10.12) is not reproduced.

// stampUs is the time FreeSWITCH would stamp for the exact time us (µs
// since the epoch): the last tick at or before it. 0 (never) stays 0.
func (s *Server) stampUs(us int64) int64 {
	if us == 0 || s.tickUs <= 0 {
		return us
	}
	r := (us - s.tickPhase) % s.tickUs
	if r < 0 {
		r += s.tickUs
	}
	return us - r
}

// stampNow is switch_micro_time_now(): the clock's time at its last tick.
func (s *Server) stampNow() time.Time {
	now := s.clock.Now()
	if s.tickUs <= 0 {
		return now
	}
	return time.UnixMicro(s.stampUs(now.UnixMicro()))
}

// ClockTick returns the period of the server's timestamp clock (0 when
// it stamps exact times).
func (s *Server) ClockTick() time.Duration {
	return time.Duration(s.tickUs) * time.Microsecond
}
