package dialer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
)

// sender writes the server's originates; results arrive as
// BACKGROUND_JOB events, so each sender only waits for the short "+OK
// Job-UUID" acknowledgement and many originates are in flight at once.
func (o *Originator) sender(s *server) {
	defer o.wg.Done()
	for {
		select {
		case <-o.ctx.Done():
			return
		case c := <-s.queue:
			o.send(s, c)
		}
	}
}

func (o *Originator) send(s *server, c *call) {
	cmd, err := o.command(s, c)
	if err == nil {
		o.mu.Lock()
		if c.released {
			// Given up on while queued (its server was unreachable for
			// longer than the originate timeout): never sent.
			o.mu.Unlock()
			return
		}
		c.offered = o.since(time.Now())
		c.sent = true
		s.queued++
		s.peakQueued = max(s.peakQueued, s.queued)
		s.pendingQ = append(s.pendingQ, c)
		o.mu.Unlock()
		_, err = s.c.BgAPIWithJobUUID(o.ctx, cmd, c.uuid)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		if o.ctx.Err() == nil {
			o.log.Warn("originate not sent", "server", s.addr, "uuid", c.uuid, "err", err)
		}
		o.jobResult(c, false, CauseSendError, time.Now())
		return
	}
	if c.acked == 0 {
		c.acked = o.since(time.Now())
	}
}

// command renders the call's originate.
func (o *Originator) command(s *server, c *call) (string, error) {
	r := o.cfg.Request.ForCall(c.n, o.cfg.PerCall...)
	switch {
	case r.Endpoint == "" && r.Dest == "" || o.cfg.Dests[s.addr] != "":
		r.Dest = s.dest
	case r.Endpoint == "" && r.Gateway == "" && s.sipAddr != "" && !strings.Contains(r.Dest, "@"):
		// A bare user (a per-call number) calls the server itself.
		r.Dest += "@" + s.sipAddr
	}
	r.UUID = c.uuid
	if r.Timeout <= 0 {
		r.Timeout = o.cfg.OriginateTimeout
	}
	r.Headers = append(r.Headers,
		originate.Var{Name: cluster.HeaderOriginatingSession, Value: c.uuid},
		originate.Var{Name: cluster.HeaderAppID, Value: c.app.id},
		originate.Var{Name: cluster.HeaderApp, Value: c.app.header})
	// Without it a real FreeSWITCH ends the originate +OK at the first
	// early media (183), long before the answer (see the package doc).
	if !hasVar(r.Vars, "ignore_early_media") {
		r.Vars = append(r.Vars, originate.Var{Name: "ignore_early_media", Value: "true"})
	}
	for _, v := range c.app.vars {
		if hasVar(r.Vars, v.Name) || v.Name == "absolute_codec_string" && r.Codec != "" {
			continue // the user's own
		}
		r.Vars = append(r.Vars, v)
	}
	if c.hold > 0 {
		r.Vars = append(r.Vars, originate.Var{Name: "execute_on_answer", Value: o.schedHangup(c.app.guardHold(c.hold))})
	}
	return r.Command()
}

// OriginateCommand renders the originate the dialer would send next
// through the server at addr (its uuid is a placeholder), like upstream's
// originate_cmd: for logs and checks.
func (o *Originator) OriginateCommand(addr string) (string, error) {
	o.mu.Lock()
	var s *server
	for _, x := range o.servers {
		if x.addr == addr {
			s = x
		}
	}
	if s == nil {
		o.mu.Unlock()
		return "", fmt.Errorf("dialer: no server %s", addr)
	}
	g := &appGroup{id: o.cfg.ID + "-app", label: "app", header: "app"}
	if len(o.apps) > 0 {
		g = o.apps[0]
	}
	c := &call{uuid: "00000000-0000-0000-0000-000000000000", n: o.offered, srv: s, app: g, hold: o.duration}
	o.mu.Unlock()
	return o.command(s, c)
}

// schedHangup is the server-side hang-up set at originate time. In the
// default mode it is only a guard, Margin after the hold, for calls whose
// controller hang-up never comes (switchio died or lost the server); with
// ServerHangup it is the hold itself. FreeSWITCH's scheduler runs tasks
// on whole epoch seconds, so "+N" fires between N-1 and N seconds after
// the answer: the hold is rounded up.
func (o *Originator) schedHangup(hold time.Duration) string {
	if o.cfg.ServerHangup {
		return "sched_hangup +" + strconv.FormatInt(max(ceilSeconds(hold), 1), 10) + " NORMAL_CLEARING"
	}
	return "sched_hangup +" + strconv.FormatInt(max(ceilSeconds(hold+o.cfg.Margin), 2), 10) + " " + guardCause
}

func ceilSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

func hasVar(vs []originate.Var, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}
