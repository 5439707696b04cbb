package measure

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
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

// Fill copies the status into a server's row of system statistics.
func (st ServerStatus) Fill(r *SysStat) {
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

func ptr[T any](v T) *T { return &v }
