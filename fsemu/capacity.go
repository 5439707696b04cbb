package fsemu

import "time"

// Capacity is the optional CPU/port capacity model. With it a server has a
// CPU budget: each call set-up plus tear-down costs SetupCost, each held
// call costs HoldCostPerSecond per second and each ESL command
// CommandCost. The work queues on one backlog that drains at Cores minus
// the share eaten by held calls. Past the budget nothing is refused but
// everything waits, as on an overloaded FreeSWITCH:
//
//   - an originate's set-up waits for the backlog ahead of it, so set-up
//     latency grows without bound;
//   - every command read on an ESL connection (api, bgapi, sendmsg,
//     event ...) waits for the backlog present when it arrives before it
//     runs, so a controller's uuid_kill or sched_hangup sent behind a
//     burst of originates takes effect only once the CPU has caught up.
//     A connection handles its commands one after the other, so its
//     replies keep their order; a bgapi's +OK Job-UUID reply waits too.
//     The direct API (Server.API and friends) does not wait.
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
	// RTPPorts caps concurrent channels; 0 means 16384 (ports 16384-32768
	// in pairs).
	RTPPorts int
	// CommandCost is the CPU time of handling one ESL command (default
	// 100 µs); commands wait for the backlog whatever their cost.
	CommandCost time.Duration
}

type capState struct {
	c    Capacity
	busy time.Time // when the emulated CPUs become free
	held int
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
// CPU: the work queue drains at Cores minus the share eaten by held calls.
func (cs *capState) setupDelay(now time.Time) time.Duration {
	d := cs.queue(now, cs.c.SetupCost)
	cs.held++
	return d
}

// commandDelay accounts one ESL command and returns how long it waits
// for CPU before it runs: the backlog ahead of it.
func (cs *capState) commandDelay(now time.Time) time.Duration {
	return cs.queue(now, cs.c.CommandCost)
}

// queue appends work costing cost (on one core) to the backlog, which
// drains at the cores left over by held calls, and returns the wait
// before the work starts.
func (cs *capState) queue(now time.Time, cost time.Duration) time.Duration {
	holdShare := float64(cs.held) * float64(cs.c.HoldCostPerSecond) / float64(time.Second)
	free := float64(cs.c.Cores) - holdShare
	if free < 0.05 {
		free = 0.05
	}
	if cs.busy.Before(now) {
		cs.busy = now
	}
	wait := cs.busy.Sub(now)
	cs.busy = cs.busy.Add(time.Duration(float64(cost) / free))
	return wait
}

func (cs *capState) callEnded(now time.Time, ch *channel) {
	if ch.outbound && cs.held > 0 {
		cs.held--
	}
}
