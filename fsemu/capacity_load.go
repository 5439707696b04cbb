package fsemu

import "time"

// loadWindow is the span over which the set-up backlog counts towards the
// load: a backlog that keeps the free cores busy for this long or longer
// makes them fully busy.
const loadWindow = time.Second

// load returns the share of the emulated cores busy at now, from 0 to 1:
// the steady share the held calls take, plus, on the cores they leave
// free, the part of the next loadWindow that the set-up backlog already
// queued keeps them busy. "status" reports it as idle CPU, so a
// controller sampling the server sees it fall with held calls and set-up
// bursts, as FreeSWITCH's own idle figure falls on a loaded host.
func (cs *capState) load(now time.Time) float64 {
	cores := float64(cs.c.Cores)
	hold := min(float64(max(cs.held, 0))*float64(cs.c.HoldCostPerSecond)/float64(time.Second), cores)
	var backlog float64
	if cs.busy.After(now) {
		backlog = min(1, float64(cs.busy.Sub(now))/float64(loadWindow))
	}
	return (hold + (cores-hold)*backlog) / cores
}

// idleCPU returns the idle CPU percentage "status" reports under the
// capacity model: 100 × (1 − load).
func (cs *capState) idleCPU(now time.Time) float64 {
	return 100 * (1 - cs.load(now))
}
