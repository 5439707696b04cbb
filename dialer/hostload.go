package dialer

import (
	"fmt"
	"runtime"
	"time"

	"github.com/switchio/switchio/internal/procs"
)

// hostLoad follows this process's CPU use on the monitor's ticks, so that
// a run the controller's own process could not keep up with says so: its
// set-up latencies, holds and achieved rate then measure this host, not
// the servers. With the embedded emulated servers, the process is the
// controller and the servers together on one host's cores.
type hostLoad struct {
	meter procs.Meter
	cores int     // the most processors Go code ran on
	busy  int     // seconds of offering spent at the CPU limit
	peak  float64 // most cores used over one second of offering
}

// hostBusyShare is the share of the process's cores above which a second
// counts as spent at the CPU limit.
const hostBusyShare = 0.9

// sample takes the process's CPU time once a second (every fourth tick);
// offering says whether that second counts. o.mu held.
func (h *hostLoad) sample(now time.Time, offering bool) {
	cpu, ok := procs.ProcessCPU()
	if !ok {
		return
	}
	h.observe(now, cpu, offering, runtime.GOMAXPROCS(0))
}

// observe takes one reading of the process's CPU time, with nprocs the
// processors Go code may run on now (dial changes it with its load,
// internal/procs).
func (h *hostLoad) observe(now time.Time, cpu time.Duration, offering bool, nprocs int) {
	h.cores = max(h.cores, nprocs)
	used, ok := h.meter.Observe(now, cpu)
	if !ok || !offering {
		return
	}
	h.peak = max(h.peak, used)
	if used >= hostBusyShare*float64(nprocs) {
		h.busy++
	}
}

// note is the summary's line when the process spent two seconds or more
// of the offering at its CPU limit, else "".
func (h *hostLoad) note() string {
	if h.busy < 2 {
		return ""
	}
	return fmt.Sprintf("the controller was at its CPU limit: switchio's process (with the emulated servers, when they are embedded) used up to %.1f of its %d cores, and nearly all of them for %d s of the offering; set-up latencies, holds and a rate short of its target include that delay",
		h.peak, h.cores, h.busy)
}
