package dialer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/measure/summary"

	"github.com/switchio/switchio/esl"
)

// Settings are the load-test settings Setup applies on every server.
//
// FreeSWITCH refuses sessions over two limits, "fsctl sps" (sessions per
// second) and "fsctl max_sessions". Setup reads both on each server and
// raises a limit only where it is below what the run needs, and
// RestoreSettings (called by Close) puts every raised limit back to the
// value found. A raise is not free: FreeSWITCH counts each second's
// sessions as its sps limit minus what is left of it (switch_time.c,
// softtimer_runtime: sps_last = sps_total - sps), so raising the limit
// counts the raise as sessions and "status" reports a sessions-per-second
// peak no traffic made (ServerSetting.PhantomSPSPeak); putting the limit
// back does not clear it, only a restart or "fsctl sps_peak_reset" (which
// also erases the real peak) does.
type Settings struct {
	// SPS is the sessions per second the run needs on each server
	// (0: four times the run's rate: two legs per call, twice over for
	// bursts, with the rate over all servers so one server can take
	// them all). Set, it is applied even when lower than the server's.
	SPS int
	// MaxSessions is the session limit the run needs on each server (0:
	// two legs for each of the calls the server may have up, its
	// ServerLimit or the run's Limit, plus 100 for legs still being torn
	// down). Set, it is applied even when lower than the server's.
	MaxSessions int
	// VerboseEvents sends "fsctl verbose_events true" (full-size events).
	// It is not restored.
	VerboseEvents bool
}

// fsctlState is the dialer's record of the servers' limits.
type fsctlState struct {
	// op serialises reading, raising and restoring (held across the
	// servers' replies; taken before Originator.mu, never inside it).
	op sync.Mutex
	// The rest is guarded by Originator.mu. applied is set by Setup:
	// reconnects and live rate or limit changes then bring the limits up
	// to the need; ended is set by RestoreSettings: nothing more is
	// raised.
	applied, ended bool
	st             Settings
	srv            map[int]*serverLimits // by server index, once read
	// conns are the connections the limits were last read on, by
	// server index: another one is a reconnect, perhaps to a restarted
	// server that forgot them.
	conns map[int]*esl.Conn
}

// serverLimits is one server's record: what is reported, and the limits
// as last read or set.
type serverLimits struct {
	rec      summary.ServerSetting
	sps, max int
}

// The replies of "fsctl sps" and "fsctl max_sessions" (FreeSWITCH 1.10.12,
// mod_commands.c ctl_function): without a value they read the limit.
const (
	spsReply = "+OK sessions per second: "
	maxReply = "+OK max sessions: "
)

// Setup applies the load-test settings on each server: it reads the
// sessions-per-second and session limits, raises those below what the
// run needs, and optionally turns verbose events on. It reports every
// server that refuses, by address and command. RestoreSettings (or Close)
// puts the limits back.
func (o *Originator) Setup(ctx context.Context, st Settings) error {
	o.mu.Lock()
	o.fsctl.applied, o.fsctl.st = true, st
	if o.fsctl.conns == nil {
		o.fsctl.conns = map[int]*esl.Conn{}
	}
	o.mu.Unlock()
	var errs []error
	raised := false
	for _, s := range o.servers {
		r, err := o.ensureLimits(ctx, s)
		raised = raised || r
		errs = append(errs, err)
		if ctx.Err() != nil {
			break // the others would only repeat ctx's error
		}
	}
	if raised {
		// FreeSWITCH refills a second's allowance from the limit only at
		// its timer's next one-second tick (switch_time.c): until then
		// sessions still count against the old limit, and a run started
		// at once would have calls refused in its first second.
		t := time.NewTimer(spsTick)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("waiting for the raised sps limit: %w", context.Cause(ctx)))
		}
	}
	return errors.Join(errs...)
}

// spsTick is how long after a raise of "fsctl sps" FreeSWITCH is sure to
// apply it: its one-second throttle tick, and a margin.
const spsTick = 1100 * time.Millisecond

// needs returns the sessions per second and the session limit the run
// needs on s; o.mu held.
func (o *Originator) needs(s *server, st Settings) (sps, sessions int) {
	sps = int(math.Ceil(4 * max(o.rate, o.tr.peakRate())))
	lim := o.limit
	if s.limit > 0 {
		lim = min(lim, s.limit)
	}
	sessions = 2*lim + 100
	if st.SPS > 0 {
		sps = st.SPS
	}
	if st.MaxSessions > 0 {
		sessions = st.MaxSessions
	}
	return sps, sessions
}

// ensureLimits reads s's limits and raises those below the run's need
// (sets those the Settings name); the first values read are kept as the
// ones to restore. raised tells that the sps limit went up.
func (o *Originator) ensureLimits(ctx context.Context, s *server) (raised bool, err error) {
	o.fsctl.op.Lock()
	defer o.fsctl.op.Unlock()
	o.mu.Lock()
	if o.fsctl.ended {
		o.mu.Unlock()
		return false, nil
	}
	st := o.fsctl.st
	needSPS, needMax := o.needs(s, st)
	o.fsctl.conns[s.idx] = s.c.Conn()
	o.mu.Unlock()
	var errs []error
	limits := []struct {
		name, reply string
		need        int
		exact       bool
	}{
		{"sps", spsReply, needSPS, st.SPS > 0},
		{"max_sessions", maxReply, needMax, st.MaxSessions > 0},
	}
	var now, set [2]int
	for i, l := range limits {
		n, err := readLimit(ctx, s, "fsctl "+l.name, l.reply)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				return false, errors.Join(errs...)
			}
			continue
		}
		now[i] = n
		if n == l.need || !l.exact && n > l.need {
			continue
		}
		got, err := readLimit(ctx, s, fmt.Sprintf("fsctl %s %d", l.name, l.need), l.reply)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		set[i] = got // the limit now, as the reply gives it
	}
	o.recordLimits(s, now, set, needSPS, needMax)
	if st.VerboseEvents && ctx.Err() == nil {
		if _, err := fsctl(ctx, s, "fsctl verbose_events true"); err != nil {
			errs = append(errs, err)
		}
	}
	return set[0] > now[0], errors.Join(errs...)
}

// recordLimits keeps what ensureLimits read (now, 0 where unread) and set (0
// where left) on s.
func (o *Originator) recordLimits(s *server, now, set [2]int, needSPS, needMax int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fsctl.srv == nil {
		o.fsctl.srv = map[int]*serverLimits{}
	}
	l := o.fsctl.srv[s.idx]
	if l == nil {
		if now == [2]int{} {
			return // nothing read, so nothing set
		}
		l = &serverLimits{rec: summary.ServerSetting{Addr: s.addr}}
		o.fsctl.srv[s.idx] = l
	}
	// The first value read is the one to restore (a limit is set only
	// after it was read).
	if l.rec.SPS.Found == 0 {
		l.rec.SPS.Found = now[0]
	}
	if l.rec.MaxSessions.Found == 0 {
		l.rec.MaxSessions.Found = now[1]
	}
	l.rec.SPS.Needed, l.rec.MaxSessions.Needed = needSPS, needMax
	l.sps, l.max = max(now[0], l.sps), max(now[1], l.max)
	if set[0] != 0 {
		if set[0] > now[0] {
			l.rec.PhantomSPSPeak = max(l.rec.PhantomSPSPeak, set[0]-now[0])
		}
		l.rec.SPS.Set, l.sps = set[0], set[0]
		o.log.Info("server limit set for the run", "server", s.addr, "setting", "sps", "from", now[0], "to", set[0])
	}
	if set[1] != 0 {
		l.rec.MaxSessions.Set, l.max = set[1], set[1]
		o.log.Info("server limit set for the run", "server", s.addr, "setting", "max_sessions", "from", now[1], "to", set[1])
	}
	if l.rec.Changed() {
		l.rec.Restored, l.rec.RestoreError = false, ""
		l.rec.RestoreCommands = restoreCommands(l.rec)
	}
}

// restoreCommands are the fsctl commands that put r's changed limits back.
func restoreCommands(r summary.ServerSetting) []string {
	var cmds []string
	if r.SPS.Set != 0 {
		cmds = append(cmds, "fsctl sps "+strconv.Itoa(r.SPS.Found))
	}
	if r.MaxSessions.Set != 0 {
		cmds = append(cmds, "fsctl max_sessions "+strconv.Itoa(r.MaxSessions.Found))
	}
	return cmds
}

// recheckLimits brings the servers' limits up to a need that a live
// change (rate, limit, server limit) raised past the values known; o.mu
// held.
func (o *Originator) recheckLimits() {
	if !o.fsctl.applied || o.fsctl.ended || o.closed {
		return
	}
	for _, s := range o.servers {
		sps, sessions := o.needs(s, o.fsctl.st)
		l := o.fsctl.srv[s.idx]
		if s.down || l == nil || sps <= l.sps && sessions <= l.max {
			continue
		}
		o.wg.Add(1)
		go o.reapplySetup(s)
	}
}

// reconnected reports whether s is connected on another connection than
// the one its limits were last read on; the new one counts as read from
// then on. o.mu held.
func (o *Originator) reconnected(s *server) bool {
	c := s.c.Conn()
	if c == nil || !o.fsctl.applied || o.fsctl.ended {
		return false
	}
	last, ok := o.fsctl.conns[s.idx]
	o.fsctl.conns[s.idx] = c
	return ok && last != c
}

// reapplySetup brings the limits of a server up to the run's need again:
// after its connection came back (a restarted FreeSWITCH has forgotten
// them and would refuse calls at its configured ones) or a live change.
func (o *Originator) reapplySetup(s *server) {
	defer o.wg.Done()
	ctx, cancel := context.WithTimeout(o.ctx, 10*time.Second)
	defer cancel()
	if _, err := o.ensureLimits(ctx, s); err != nil && o.ctx.Err() == nil {
		o.log.Warn("server limits", "server", s.addr, "err", err)
	}
}

// RestoreSettings puts back every limit Setup changed to the value found,
// on all servers at once within ctx, and stops later raises. A server it
// cannot reach or that refuses keeps its record's RestoreError (with the
// commands to send by hand, ServerSetting.RestoreCommands), and is tried
// again by the next call. It is called by Close.
func (o *Originator) RestoreSettings(ctx context.Context) error {
	o.fsctl.op.Lock()
	defer o.fsctl.op.Unlock()
	o.mu.Lock()
	o.fsctl.ended = true
	type job struct {
		s    *server
		cmds []string
	}
	var jobs []job
	for _, s := range o.servers {
		if l := o.fsctl.srv[s.idx]; l != nil && l.rec.Changed() && !l.rec.Restored {
			jobs = append(jobs, job{s, l.rec.RestoreCommands})
		}
	}
	o.mu.Unlock()
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, cmd := range j.cmds {
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("server %s: %q not sent: %w", j.s.addr, cmd, err)
					return
				}
				if _, err := fsctl(ctx, j.s, cmd); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, j := range jobs {
		l := o.fsctl.srv[j.s.idx]
		if errs[i] != nil {
			l.rec.RestoreError = errs[i].Error()
			o.log.Warn("server limits not restored", "server", j.s.addr, "restore", strings.Join(j.cmds, "; "), "err", errs[i])
			continue
		}
		l.rec.Restored, l.rec.RestoreError = true, ""
		l.sps, l.max = l.rec.SPS.Found, l.rec.MaxSessions.Found
	}
	return errors.Join(errs...)
}

// ServerSettings returns what the load-test settings found and changed on
// each server read, in the pool's order.
func (o *Originator) ServerSettings() []summary.ServerSetting {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.serverSettings()
}

// serverSettings is ServerSettings with o.mu held.
func (o *Originator) serverSettings() []summary.ServerSetting {
	var out []summary.ServerSetting
	for _, s := range o.servers {
		if l := o.fsctl.srv[s.idx]; l != nil {
			r := l.rec
			r.RestoreCommands = append([]string(nil), r.RestoreCommands...)
			out = append(out, r)
		}
	}
	return out
}

// readLimit sends an fsctl limit command (reading or setting) and returns
// the limit its reply gives.
func readLimit(ctx context.Context, s *server, cmd, prefix string) (int, error) {
	out, err := fsctl(ctx, s, cmd)
	if err != nil {
		return 0, err
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(out), strings.TrimSpace(prefix))
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if !ok || err != nil || n <= 0 {
		return 0, fmt.Errorf("server %s: %q: unexpected reply %q", s.addr, cmd, strings.TrimSpace(out))
	}
	return n, nil
}

// fsctl sends one command to s; a refusal or no reply is an error naming
// the server and the command.
func fsctl(ctx context.Context, s *server, cmd string) (string, error) {
	out, err := s.c.API(ctx, cmd)
	switch {
	case err == nil && !strings.HasPrefix(out, "+OK"):
		return "", fmt.Errorf("server %s refused %q: %w", s.addr, cmd, errors.New(strings.TrimSpace(out)))
	case err == nil:
		return out, nil
	case ctx.Err() != nil:
		// Not refused: unanswered (a stuck server) or given up.
		if nr := (*esl.NoReplyError)(nil); errors.As(err, &nr) {
			return "", fmt.Errorf("server %s: %w", s.addr, err) // names the command
		}
		return "", fmt.Errorf("server %s: %q: %w", s.addr, cmd, err)
	}
	return "", fmt.Errorf("server %s refused %q: %w", s.addr, cmd, err)
}
