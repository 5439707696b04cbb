package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// SysStatsConfig configures a SysStats sampler. The zero value samples the
// controller alone once a second.
type SysStatsConfig struct {
	// Interval is the sampling period; default one second.
	Interval time.Duration
	// Ticks, when non-nil, replaces the Interval timer: a sample is taken
	// for each time received, stamped with it. It puts the samples on a
	// timeline the caller owns (a load test's seconds, a test's steps).
	Ticks <-chan time.Time
	// Timeout bounds each server's "status" query; default Interval. A
	// server that does not answer in time gets an error row for the tick.
	Timeout time.Duration
	// Servers are the FreeSWITCH servers to sample (a Pool's Clients).
	Servers []*cluster.Client
	// Buffer is the capacity of the Rows channel; default 1024.
	Buffer int
}

// SysStats samples the controller's and the servers' system statistics
// on a timer and delivers them as SysStat rows on Rows.
//
// Each tick takes one controller row (host CPU, memory and load, and this
// process's CPU and RSS) and one row per server (its "status" reply, sent
// as bgapi so a slow reply never holds up the server's connection). The
// servers are queried concurrently; the next tick waits until every query
// of the current one has answered or timed out (Timeout), and the ticks
// that pass meanwhile collapse into one (time.Ticker drops the others), so
// at most one query per server is in flight and a stalled server costs
// only its own rows of the ticks it held up.
//
// Delivery never blocks sampling: a row that finds Rows full is dropped
// and counted (Dropped). A consumer that keeps up with Buffer rows of
// slack loses nothing; one that stalls loses the newest rows, not the
// sampler's timing.
type SysStats struct {
	cfg     SysStatsConfig
	rows    chan measure.SysStat
	dropped atomic.Uint64
	started atomic.Bool
	// host reads the controller's figures; tests replace it.
	host func(ctx context.Context) (hostReading, error)
}

// NewSysStats returns a sampler for cfg; Run starts it.
func NewSysStats(cfg SysStatsConfig) *SysStats {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = cfg.Interval
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1024
	}
	return &SysStats{cfg: cfg, rows: make(chan measure.SysStat, cfg.Buffer), host: newHostReader()}
}

// Rows returns the channel the samples arrive on. It is closed when Run
// returns.
func (s *SysStats) Rows() <-chan measure.SysStat { return s.rows }

// Dropped returns how many rows were dropped because Rows was full.
func (s *SysStats) Dropped() uint64 { return s.dropped.Load() }

// ErrSysStatsRunning is returned by a second call to Run.
var ErrSysStatsRunning = errors.New("measure: sys stats already running")

// Run samples until ctx ends or Ticks closes, then waits for the queries
// in flight (cancelled with ctx), closes Rows and returns nil. It may be
// called once.
func (s *SysStats) Run(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return ErrSysStatsRunning
	}
	defer close(s.rows)
	ticks := s.cfg.Ticks
	if ticks == nil {
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		ticks = t.C
	}
	// The baseline the first tick's CPU percentages are measured from; a
	// failure here only leaves them nil on that tick.
	prev, err := s.host(ctx)
	havePrev := err == nil
	for {
		select {
		case <-ctx.Done():
			return nil
		case at, ok := <-ticks:
			if !ok {
				return nil
			}
			var wg sync.WaitGroup
			for _, c := range s.cfg.Servers {
				wg.Go(func() {
					row := s.sampleServer(ctx, at, c)
					if ctx.Err() == nil { // a query cut short by Run's end is no failure of the server
						s.emit(row)
					}
				})
			}
			cur, err := s.host(ctx)
			row := measure.SysStat{Time: at, Source: measure.SourceController}
			if err != nil {
				row.Error = err.Error()
			} else {
				var p *hostReading
				if havePrev {
					p = &prev
				}
				cur.fill(&row, p)
				prev, havePrev = cur, true
			}
			s.emit(row)
			wg.Wait()
		}
	}
}

// emit delivers a row without blocking: Rows full drops it.
func (s *SysStats) emit(r measure.SysStat) {
	select {
	case s.rows <- r:
	default:
		s.dropped.Add(1)
	}
}

// sampleServer asks one server for its status and returns its row.
func (s *SysStats) sampleServer(ctx context.Context, at time.Time, c *cluster.Client) measure.SysStat {
	row := measure.SysStat{Time: at, Source: c.Addr()}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body, err := queryStatus(ctx, c)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	st, err := measure.ParseStatus(body)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.ReplyMs = &ms
	st.Fill(&row)
	return row
}

// queryStatus runs "status" as a background job and waits for its result.
func queryStatus(ctx context.Context, c *cluster.Client) (string, error) {
	job, err := c.BgAPI(ctx, "status")
	if err != nil {
		return "", fmt.Errorf("status on %s: %w", c.Addr(), err)
	}
	body, err := job.Wait(ctx)
	if err != nil {
		return "", fmt.Errorf("status on %s: %w", c.Addr(), err)
	}
	return body, nil
}

// hostReading is one reading of the controller's figures: cumulative CPU
// times (host and process) and instantaneous memory and load.
type hostReading struct {
	at        time.Time // when it was read (wall time between readings)
	cpu       cpu.TimesStat
	mem       mem.VirtualMemoryStat
	load      load.AvgStat
	procCPU   float64 // the process's user + system seconds
	procRSS   uint64
	hasCPU    bool
	hasProc   bool
	hasMemory bool
	hasLoad   bool
}

// newHostReader returns a reader of the controller host's and process's
// figures with gopsutil. A figure it cannot read is left out; only all of
// them failing is an error.
func newHostReader() func(ctx context.Context) (hostReading, error) {
	var (
		once sync.Once
		proc *process.Process
		perr error
	)
	return func(ctx context.Context) (hostReading, error) {
		once.Do(func() { proc, perr = process.NewProcessWithContext(ctx, int32(os.Getpid())) })
		r := hostReading{at: time.Now()}
		var errs []error
		if t, err := cpu.TimesWithContext(ctx, false); err != nil {
			errs = append(errs, fmt.Errorf("cpu times: %w", err))
		} else if len(t) > 0 {
			r.cpu, r.hasCPU = t[0], true
		}
		if v, err := mem.VirtualMemoryWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("memory: %w", err))
		} else {
			r.mem, r.hasMemory = *v, true
		}
		if a, err := load.AvgWithContext(ctx); err != nil {
			errs = append(errs, fmt.Errorf("load: %w", err))
		} else {
			r.load, r.hasLoad = *a, true
		}
		if perr != nil {
			errs = append(errs, fmt.Errorf("process: %w", perr))
		} else {
			t, err := proc.TimesWithContext(ctx)
			m, merr := proc.MemoryInfoWithContext(ctx)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("process times: %w", err))
			case merr != nil:
				errs = append(errs, fmt.Errorf("process memory: %w", merr))
			default:
				r.procCPU, r.procRSS, r.hasProc = t.User+t.System, m.RSS, true
			}
		}
		if !r.hasCPU && !r.hasMemory && !r.hasLoad && !r.hasProc {
			return r, fmt.Errorf("controller figures: %w", errors.Join(errs...))
		}
		return r, nil
	}
}

// fill sets the controller figures of row from r; the CPU percentages
// are over the time since prev (nil: none).
func (r hostReading) fill(row *measure.SysStat, prev *hostReading) {
	if r.hasMemory {
		row.MemUsedBytes = ptr(clampInt64(r.mem.Used))
		row.MemTotalBytes = ptr(clampInt64(r.mem.Total))
	}
	if r.hasLoad {
		row.Load1, row.Load5, row.Load15 = ptr(r.load.Load1), ptr(r.load.Load5), ptr(r.load.Load15)
	}
	if r.hasProc {
		row.ProcRSSBytes = ptr(clampInt64(r.procRSS))
	}
	if prev == nil {
		return
	}
	if r.hasCPU && prev.hasCPU {
		a, b := prev.cpu, r.cpu
		total := cpuTotal(b) - cpuTotal(a)
		if total > 0 {
			pct := func(x, y float64) *float64 { return ptr(clampPct(100 * (y - x) / total)) }
			row.CPUUserPct = pct(a.User, b.User)
			row.CPUSystemPct = pct(a.System, b.System)
			row.CPUIdlePct = pct(a.Idle, b.Idle)
			row.CPUIowaitPct = pct(a.Iowait, b.Iowait)
			row.CPUPct = ptr(clampPct(100 - *row.CPUIdlePct - *row.CPUIowaitPct))
		}
	}
	if r.hasProc && prev.hasProc {
		if wall := r.at.Sub(prev.at).Seconds(); wall > 0 {
			row.ProcCPUPct = ptr(max(0, 100*(r.procCPU-prev.procCPU)/wall))
		}
	}
}

// cpuTotal is the CPU time of every state. Guest time is left out: Linux
// counts it in user (and guest nice in nice) already.
func cpuTotal(t cpu.TimesStat) float64 {
	return t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
}

func clampPct(v float64) float64 { return min(100, max(0, v)) }

func clampInt64(v uint64) int64 { return int64(min(v, 1<<63-1)) }

func ptr[T any](v T) *T { return &v }
