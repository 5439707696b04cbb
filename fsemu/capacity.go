package fsemu

import "time"

// Capacity is the optional CPU/port capacity model. With it a server has a
// CPU budget: each call set-up plus tear-down costs SetupCost and each
// held call costs HoldCostPerSecond per second. Past the budget, originates
// are not refused but queue, so set-up latency grows without bound, as on
// an overloaded FreeSWITCH. RTPPorts caps concurrent channels (each needs
// an RTP port); beyond it originates fail with DESTINATION_OUT_OF_ORDER.
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
	if c.RTPPorts <= 0 {
		c.RTPPorts = 8192
	}
	return &capState{c: c}
}

func (cs *capState) admitPorts(channels int) bool { return channels < cs.c.RTPPorts }

// setupDelay accounts one call set-up and returns how long it waits for
// CPU: the work queue drains at Cores minus the share eaten by held calls.
func (cs *capState) setupDelay(now time.Time) time.Duration {
	holdShare := float64(cs.held) * float64(cs.c.HoldCostPerSecond) / float64(time.Second)
	free := float64(cs.c.Cores) - holdShare
	if free < 0.05 {
		free = 0.05
	}
	cost := time.Duration(float64(cs.c.SetupCost) / free)
	if cs.busy.Before(now) {
		cs.busy = now
	}
	cs.busy = cs.busy.Add(cost)
	cs.held++
	return cs.busy.Sub(now) - cost
}

func (cs *capState) callEnded(now time.Time, ch *channel) {
	if ch.outbound && cs.held > 0 {
		cs.held--
	}
}
