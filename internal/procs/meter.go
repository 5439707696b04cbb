package procs

import "time"

// Meter turns readings of the process's CPU time into the cores it used
// between two readings, for the governor and for dial's note that the
// controller was at its CPU limit.
type Meter struct {
	last    time.Time
	lastCPU time.Duration
	primed  bool
}

// Observe takes a reading, cpu being the process's CPU time at now, and
// returns the cores used since the previous one; false for the first
// reading (or a clock that did not move).
func (m *Meter) Observe(now time.Time, cpu time.Duration) (float64, bool) {
	prev, prevCPU, primed := m.last, m.lastCPU, m.primed
	m.last, m.lastCPU, m.primed = now, cpu, true
	wall := now.Sub(prev)
	if !primed || wall <= 0 {
		return 0, false
	}
	return float64(cpu-prevCPU) / float64(wall), true
}

// Sample reads the process's CPU time and observes it at now; false where
// the platform does not report it, or for the first reading.
func (m *Meter) Sample(now time.Time) (float64, bool) {
	cpu, ok := ProcessCPU()
	if !ok {
		return 0, false
	}
	return m.Observe(now, cpu)
}
