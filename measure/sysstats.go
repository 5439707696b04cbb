package measure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/switchio/switchio/cluster"
)

// SourceController is SysStat.Source for the controller's own figures;
// a server's rows carry its event socket address instead (as
// Record.Server), which can never read "controller".
const SourceController = "controller"

// SysStat is one sample of one source's system statistics: the
// controller host and process (Source "controller") or one FreeSWITCH
// server (Source its event socket address, figures from its "status"
// reply). All rows of one tick carry the tick's time, so the controller's
// and every server's figures line up on one timeline. A figure the source
// does not have is nil (null in Parquet): server figures on controller
// rows, controller figures on server rows, and every figure of a sample
// that failed (Error says why).
type SysStat struct {
	// Time is the tick the sample belongs to (local clock).
	Time time.Time `parquet:"time,timestamp(microsecond)"`
	// Source is SourceController or a server's event socket address.
	Source string `parquet:"source"`
	// Error is why the sample failed ("" when it did not): the row still
	// marks the tick so gaps in a server's figures are explained.
	Error string `parquet:"error,optional"`

	// CPUPct is the controller host's busy CPU over the last interval,
	// all cores together (100 − idle − iowait); CPUUserPct, CPUSystemPct,
	// CPUIdlePct and CPUIowaitPct are its parts. Nil on the first sample
	// when no baseline could be read.
	CPUPct       *float64 `parquet:"cpu_pct,optional"`
	CPUUserPct   *float64 `parquet:"cpu_user_pct,optional"`
	CPUSystemPct *float64 `parquet:"cpu_system_pct,optional"`
	CPUIdlePct   *float64 `parquet:"cpu_idle_pct,optional"`
	CPUIowaitPct *float64 `parquet:"cpu_iowait_pct,optional"`
	// MemUsedBytes and MemTotalBytes are the host's memory in use and
	// installed.
	MemUsedBytes  *int64 `parquet:"mem_used_bytes,optional"`
	MemTotalBytes *int64 `parquet:"mem_total_bytes,optional"`
	// Load1, Load5 and Load15 are the host's load averages.
	Load1  *float64 `parquet:"load1,optional"`
	Load5  *float64 `parquet:"load5,optional"`
	Load15 *float64 `parquet:"load15,optional"`
	// ProcCPUPct is the controller process's CPU over the last interval,
	// 100 per core it kept busy (so it may exceed 100); ProcRSSBytes its
	// resident memory.
	ProcCPUPct   *float64 `parquet:"proc_cpu_pct,optional"`
	ProcRSSBytes *int64   `parquet:"proc_rss_bytes,optional"`

	// ReplyMs is how long the server took to answer "status" (bgapi sent
	// to job result): a loaded server answers late.
	ReplyMs *float64 `parquet:"reply_ms,optional"`
	// UptimeMs is the server's uptime.
	UptimeMs *int64 `parquet:"uptime_ms,optional"`
	// SessionsSinceStartup is the number of sessions the server has
	// created since it started.
	SessionsSinceStartup *int64 `parquet:"sessions_since_startup,optional"`
	// Sessions is the server's current sessions (channels), SessionsPeak
	// their peak since start and SessionsPeak5Min over the last 5 minutes.
	Sessions         *int64 `parquet:"sessions,optional"`
	SessionsPeak     *int64 `parquet:"sessions_peak,optional"`
	SessionsPeak5Min *int64 `parquet:"sessions_peak_5min,optional"`
	// SessionsPerSec is the sessions created in the last second,
	// SessionsPerSecMax the server's limit (fsctl sps), SessionsPerSecPeak
	// the peak since start and SessionsPerSecPeak5Min over the last 5
	// minutes. FreeSWITCH counts a second as its limit minus what is left
	// of it (switch_time.c): in the second the limit is raised the raise
	// counts as sessions (a peak no traffic made, kept until a restart or
	// fsctl sps_peak_reset), and in the second it is lowered the count is
	// negative.
	SessionsPerSec         *int64 `parquet:"sessions_per_sec,optional"`
	SessionsPerSecMax      *int64 `parquet:"sessions_per_sec_max,optional"`
	SessionsPerSecPeak     *int64 `parquet:"sessions_per_sec_peak,optional"`
	SessionsPerSecPeak5Min *int64 `parquet:"sessions_per_sec_peak_5min,optional"`
	// SessionsMax is the server's session limit (fsctl max_sessions).
	SessionsMax *int64 `parquet:"sessions_max,optional"`
	// IdleCPUPct is the server's idle CPU as it measures it; MinIdleCPUPct
	// the floor below which it refuses calls (min-idle-cpu, 0 when unset).
	IdleCPUPct    *float64 `parquet:"idle_cpu_pct,optional"`
	MinIdleCPUPct *float64 `parquet:"min_idle_cpu_pct,optional"`
}

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
	rows    chan SysStat
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
	return &SysStats{cfg: cfg, rows: make(chan SysStat, cfg.Buffer), host: newHostReader()}
}

// Rows returns the channel the samples arrive on. It is closed when Run
// returns.
func (s *SysStats) Rows() <-chan SysStat { return s.rows }

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
			row := SysStat{Time: at, Source: SourceController}
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
func (s *SysStats) emit(r SysStat) {
	select {
	case s.rows <- r:
	default:
		s.dropped.Add(1)
	}
}

// sampleServer asks one server for its status and returns its row.
func (s *SysStats) sampleServer(ctx context.Context, at time.Time, c *cluster.Client) SysStat {
	row := SysStat{Time: at, Source: c.Addr()}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	body, err := queryStatus(ctx, c)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	st, err := ParseStatus(body)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.ReplyMs = &ms
	st.fill(&row)
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

// ServerStatus is what a FreeSWITCH "status" reply says (mod_commands'
// status_function). Uptime and SessionsMax are nil when their lines are
// missing.
type ServerStatus struct {
	// Uptime is the "UP ..." line.
	Uptime *time.Duration
	// SessionsSinceStartup is "N session(s) since startup".
	SessionsSinceStartup int64
	// Sessions, SessionsPeak and SessionsPeak5Min are
	// "N session(s) - peak P, last 5min F".
	Sessions, SessionsPeak, SessionsPeak5Min int64
	// SessionsPerSec, SessionsPerSecMax, SessionsPerSecPeak and
	// SessionsPerSecPeak5Min are "N session(s) per Sec out of max M, peak
	// P, last 5min F".
	SessionsPerSec, SessionsPerSecMax, SessionsPerSecPeak, SessionsPerSecPeak5Min int64
	// SessionsMax is "N session(s) max".
	SessionsMax *int64
	// MinIdleCPUPct and IdleCPUPct are "min idle cpu M/I".
	MinIdleCPUPct, IdleCPUPct float64
}

func (st ServerStatus) fill(r *SysStat) {
	if st.Uptime != nil {
		r.UptimeMs = ptr(st.Uptime.Milliseconds())
	}
	r.SessionsSinceStartup = ptr(st.SessionsSinceStartup)
	r.Sessions = ptr(st.Sessions)
	r.SessionsPeak = ptr(st.SessionsPeak)
	r.SessionsPeak5Min = ptr(st.SessionsPeak5Min)
	r.SessionsPerSec = ptr(st.SessionsPerSec)
	r.SessionsPerSecMax = ptr(st.SessionsPerSecMax)
	r.SessionsPerSecPeak = ptr(st.SessionsPerSecPeak)
	r.SessionsPerSecPeak5Min = ptr(st.SessionsPerSecPeak5Min)
	r.SessionsMax = st.SessionsMax
	r.MinIdleCPUPct = ptr(st.MinIdleCPUPct)
	r.IdleCPUPct = ptr(st.IdleCPUPct)
}

// The lines of a status reply (FreeSWITCH 1.10, mod_commands.c
// status_function), matched whole after trimming blanks.
var (
	reUptime   = regexp.MustCompile(`^UP (\d+) years?, (\d+) days?, (\d+) hours?, (\d+) minutes?, (\d+) seconds?, (\d+) milliseconds?, (\d+) microseconds?$`)
	reSince    = regexp.MustCompile(`^(\d+) session\(s\) since startup$`)
	reSessions = regexp.MustCompile(`^(\d+) session\(s\) - peak (\d+), last 5min (\d+)$`)
	reSPS      = regexp.MustCompile(`^(-?\d+) session\(s\) per Sec out of max (\d+), peak (\d+), last 5min (\d+)$`)
	reMax      = regexp.MustCompile(`^(\d+) session\(s\) max$`)
	reIdle     = regexp.MustCompile(`^min idle cpu (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)$`)
)

// ErrBadStatus is wrapped by ParseStatus's errors.
var ErrBadStatus = errors.New("measure: malformed status reply")

// ParseStatus parses FreeSWITCH's "status" reply. Lines may come in any
// order, with CRLF endings and trailing blanks, among lines it does not
// know. The sessions, sessions-per-second and idle CPU lines are required;
// a reply without one of them, or with a figure out of range, is an error
// wrapping ErrBadStatus.
func ParseStatus(body string) (ServerStatus, error) {
	var st ServerStatus
	var since, sessions, sps, idle bool
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		var err error
		switch {
		case reUptime.MatchString(line):
			var n []int64
			if n, err = ints(reUptime, line); err == nil {
				d, ok := uptime(n)
				if !ok {
					err = errors.New("uptime out of range")
				}
				st.Uptime = &d
			}
		case reSince.MatchString(line):
			var n []int64
			if n, err = ints(reSince, line); err == nil {
				st.SessionsSinceStartup, since = n[0], true
			}
		case reSessions.MatchString(line):
			var n []int64
			if n, err = ints(reSessions, line); err == nil {
				st.Sessions, st.SessionsPeak, st.SessionsPeak5Min, sessions = n[0], n[1], n[2], true
			}
		case reSPS.MatchString(line):
			var n []int64
			if n, err = ints(reSPS, line); err == nil {
				st.SessionsPerSec, st.SessionsPerSecMax, st.SessionsPerSecPeak, st.SessionsPerSecPeak5Min, sps = n[0], n[1], n[2], n[3], true
			}
		case reMax.MatchString(line):
			var n []int64
			if n, err = ints(reMax, line); err == nil {
				st.SessionsMax = &n[0]
			}
		case reIdle.MatchString(line):
			m := reIdle.FindStringSubmatch(line)
			st.MinIdleCPUPct, err = strconv.ParseFloat(m[1], 64)
			if err == nil {
				st.IdleCPUPct, err = strconv.ParseFloat(m[2], 64)
			}
			idle = err == nil
		}
		if err != nil {
			return ServerStatus{}, fmt.Errorf("%w: %q: %w", ErrBadStatus, line, err)
		}
	}
	var missing []string
	for _, m := range []struct {
		ok   bool
		what string
	}{{since, "sessions since startup"}, {sessions, "sessions"}, {sps, "sessions per second"}, {idle, "idle cpu"}} {
		if !m.ok {
			missing = append(missing, m.what)
		}
	}
	if len(missing) > 0 {
		return ServerStatus{}, fmt.Errorf("%w: no %s line", ErrBadStatus, strings.Join(missing, ", "))
	}
	return st, nil
}

// ints parses every submatch of re in line as an int64.
func ints(re *regexp.Regexp, line string) ([]int64, error) {
	m := re.FindStringSubmatch(line)
	out := make([]int64, len(m)-1)
	for i, s := range m[1:] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// uptime turns the UP line's years, days, hours, minutes, seconds,
// milliseconds and microseconds into a duration (a year of 365 days, as
// FreeSWITCH counts); ok is false when it overflows.
func uptime(n []int64) (time.Duration, bool) {
	units := []time.Duration{365 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond, time.Microsecond}
	var d time.Duration
	for i, u := range units {
		if n[i] > int64((1<<63-1-d)/u) {
			return 0, false
		}
		d += time.Duration(n[i]) * u
	}
	return d, true
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
func (r hostReading) fill(row *SysStat, prev *hostReading) {
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
