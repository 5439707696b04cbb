package fsemu

import "time"

// Capacity is the optional CPU/port capacity model. With it a server has a
// CPU budget: each call set-up plus tear-down costs SetupCost, each held
// call costs HoldCostPerSecond per second and each ESL command
// CommandCost. Held calls eat a steady share of the Cores; the rest, the
// free cores, serve set-ups and commands. Past the budget nothing is
// refused but everything slows down, as on an overloaded FreeSWITCH, in
// two ways.
//
// Set-ups queue on one FIFO backlog that drains at the free cores: an
// originate's set-up waits for all the set-up work ahead of it, so on a
// saturated server set-up latency grows without bound (the dialer's
// saturation detection relies on it).
//
// An ESL command (api, bgapi, sendmsg, event ...) does not wait for that
// backlog. mod_event_socket's listener thread reads a command and runs it
// itself: parse_command runs "api" through api_exec in the listener
// thread; for "bgapi" it starts an api_exec thread, waits until that
// thread has taken the job (acs->ack) and replies "+OK Job-UUID" at once
// (mod_event_socket.c: parse_command, branches "api " and "bgapi ";
// api_exec; listener_run sends the reply). An originate's set-up runs in
// the job and session threads, never in the listener. On a saturated
// Linux host these threads time-share the cores, so a command is delayed
// the way processor sharing delays a short job: with n set-ups in the
// backlog (each a runnable thread) plus the listener's own thread, it
// gets a 1/(n+1) share of the free cores, at most one core:
//
//	delay = CommandCost × max(1, (n+1) / free cores)
//
// bounded by CommandCost / min(1, free cores) plus one scheduler slice,
// 0.75 ms × (1 + log2 min(Cores, 8)) (Linux's default sched_base_slice,
// formerly sched_min_granularity, scaled by CPU count: 1.5 ms on 2 cores,
// 3 ms on 8 or more). The listener thread sleeps between commands, and a
// woken thread that has used less than its share runs within about one
// slice however many CPU-bound threads are runnable; the bound keeps a
// connection's throughput of small commands from collapsing under a deep
// set-up backlog, as it does not collapse on a real server.
//
// A connection handles its commands one after the other, so its replies
// keep their order. A bgapi's +OK Job-UUID reply takes that delay; the
// job's BACKGROUND_JOB comes when its work is done (an originate's once
// its set-up has had its turn on the backlog). A command's CPU time is
// still added to the set-up backlog. The direct API (Server.API and
// friends) does not wait.
//
// RTPPorts caps concurrent channels (each needs an RTP port); beyond it
// originates fail with DESTINATION_OUT_OF_ORDER.
type Capacity struct {
	// Cores is the number of CPU cores (default 2).
	Cores int
	// SetupCost is the CPU time of one call set-up and tear-down
	// (default 19 ms).
	SetupCost time.Duration
	// HoldCostPerSecond is the CPU time per held call per second
	// (default 3.4 ms).
	HoldCostPerSecond time.Duration
	// RTPPorts caps concurrent channels; 0 means 8192 (ports 16384-32768,
	// an RTP/RTCP pair each).
	RTPPorts int
	// CommandCost is the CPU time of handling one ESL command (default
	// 100 µs); a command takes it stretched by processor sharing with the
	// set-ups in the backlog, see above.
	CommandCost time.Duration
}

type capState struct {
	c    Capacity
	busy time.Time // when the set-up backlog is worked off
	// setups holds, in ascending order, when each set-up in the backlog
	// has had its CPU; entries up to now are dropped as they pass.
	setups []time.Time
	held   int
}

func newCapState(c Capacity) *capState {
	if c.Cores <= 0 {
		c.Cores = 2
	}
	if c.SetupCost <= 0 {
		c.SetupCost = 19 * time.Millisecond
	}
	if c.HoldCostPerSecond <= 0 {
		c.HoldCostPerSecond = 3400 * time.Microsecond
	}
	if c.CommandCost <= 0 {
		c.CommandCost = 100 * time.Microsecond
	}
	if c.RTPPorts <= 0 {
		c.RTPPorts = 8192
	}
	return &capState{c: c}
}

func (cs *capState) admitPorts(channels int) bool { return channels < cs.c.RTPPorts }

// setupDelay accounts one call set-up and returns how long it waits for
// CPU: the FIFO backlog ahead of it.
func (cs *capState) setupDelay(now time.Time) time.Duration {
	d := cs.queue(now, cs.c.SetupCost)
	cs.pending(now)
	cs.setups = append(cs.setups, cs.busy)
	return d
}

// commandDelay accounts one ESL command and returns how long after now
// it completes: CommandCost under processor sharing with the set-ups in
// the backlog, bounded by one scheduler slice (see Capacity).
func (cs *capState) commandDelay(now time.Time) time.Duration {
	n := cs.pending(now)
	free := cs.free()
	cs.queue(now, cs.c.CommandCost)
	cost := float64(cs.c.CommandCost)
	d := cost * max(1, float64(n+1)/free)
	bound := cost/min(1, free) + float64(schedSlice(cs.c.Cores))
	return time.Duration(min(d, bound))
}

// schedSlice is Linux's default scheduler slice on cores CPUs: 0.75 ms
// scaled by 1 + log2 of the CPU count, counted up to 8
// (sysctl_sched_base_slice, formerly sched_min_granularity, with the
// default logarithmic tunable scaling).
func schedSlice(cores int) time.Duration {
	f := 1
	for c := min(cores, 8); c > 1; c /= 2 {
		f++
	}
	return time.Duration(f) * 750 * time.Microsecond
}

// pending drops the set-ups that have had their CPU by now and returns
// how many remain in the backlog.
func (cs *capState) pending(now time.Time) int {
	i := 0
	for i < len(cs.setups) && !cs.setups[i].After(now) {
		i++
	}
	if i > 0 {
		// These calls' set-ups have had their CPU: their media now
		// costs HoldCostPerSecond each.
		cs.held += i
		cs.setups = append(cs.setups[:0], cs.setups[i:]...)
	}
	return len(cs.setups)
}

// free returns the cores left over by held calls (at least 0.05). A call
// counts as held once its set-up has had its CPU (see pending), not while
// it waits in the backlog: a queued set-up carries no media yet, and
// charging it would make any backlog shrink the capacity that drains it.
func (cs *capState) free() float64 {
	holdShare := float64(max(cs.held, 0)) * float64(cs.c.HoldCostPerSecond) / float64(time.Second)
	return max(float64(cs.c.Cores)-holdShare, 0.05)
}

// queue appends work costing cost (on one core) to the set-up backlog,
// which drains at the free cores, and returns the wait before the work
// starts.
func (cs *capState) queue(now time.Time, cost time.Duration) time.Duration {
	if cs.busy.Before(now) {
		cs.busy = now
	}
	wait := cs.busy.Sub(now)
	cs.busy = cs.busy.Add(time.Duration(float64(cost) / cs.free()))
	return wait
}

// callEnded ends a call's hold. A call that ends before its set-up had
// its CPU makes held dip below the calls really held until that set-up
// leaves the backlog; free clamps it at 0.
func (cs *capState) callEnded(now time.Time, ch *channel) {
	if ch.outbound {
		cs.pending(now)
		cs.held--
	}
}
