package fsemu

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// handle runs one client command; it returns false when the connection ends.
func (c *conn) handle(m *wire.Message) bool {
	s := c.s
	cmd := strings.TrimRight(m.Command, "\r\n")
	s.lock()
	w := strings.ToLower(firstWord(cmd))
	if !knownCommands[w] {
		w = "other" // unknown words are not kept, so garbage cannot grow the map
	}
	s.commands[w]++
	authed := c.authed
	s.unlock()
	if (cmd == "exit" || cmd == "...") && c.sessionID != "" {
		c.send(wire.AppendReply(nil, "+OK bye"))
		s.lock()
		c.detach()
		s.unlock()
		c.closeWithNotice(noticeBye)
		return false
	}
	if cmd == "exit" || cmd == "..." {
		c.send(wire.AppendReply(nil, "+OK bye"))
		c.closeWithNotice(noticeBye)
		return false
	}
	if !authed {
		if strings.HasPrefix(cmd, "auth ") {
			if cmd[5:] == s.cfg.Password {
				s.lock()
				c.authed = true
				s.unlock()
				c.send(wire.AppendReply(nil, "+OK accepted"))
				return true
			}
			c.send(wire.AppendReply(nil, "-ERR invalid"))
			c.closeWithNotice(noticeBye)
			return false
		}
		if strings.HasPrefix(cmd, "userauth ") {
			c.send(wire.AppendReply(nil, "-ERR invalid"))
			c.closeWithNotice(noticeBye)
			return false
		}
		c.send(wire.AppendReply(nil, "-ERR command not found"))
		return true
	}
	if !c.waitCPU() {
		return false
	}
	defer c.dispatched()
	word := firstWord(cmd)
	rest := ""
	if len(cmd) > len(word) {
		rest = strings.TrimLeft(cmd[len(word):], " ")
	}
	lword := strings.ToLower(word)
	if (lword == "api" || lword == "bgapi") && s.apiDenied(firstWord(rest)) {
		// as mod_event_socket answers a user without the command in its
		// allowed API list
		c.send(wire.AppendReply(nil, "-ERR permission denied"))
		return true
	}
	switch lword {
	case "api":
		c.apiCommand(rest, m)
	case "bgapi":
		c.bgapiCommand(rest, m)
	case "event":
		c.send(wire.AppendReply(nil, c.eventCommand(cmd)))
	case "nixevent":
		c.send(wire.AppendReply(nil, c.nixeventCommand(cmd)))
	case "noevents":
		s.lock()
		var r string
		if c.events {
			c.events = false
			c.subs = [numEventTypes]bool{}
			c.custom = nil
			r = "+OK no longer listening for events"
		} else {
			r = "-ERR not listening for events"
		}
		s.unlock()
		c.send(wire.AppendReply(nil, r))
	case "myevents":
		c.send(wire.AppendReply(nil, c.myevents(rest)))
	case "divert_events":
		switch {
		case rest == "":
			c.send(wire.AppendReply(nil, "-ERR missing value."))
		case c.sessionID == "":
			c.send(wire.AppendReply(nil, "-ERR not controlling a session."))
		case strings.EqualFold(rest, "on"):
			c.send(wire.AppendReply(nil, "+OK events diverted"))
		default:
			c.send(wire.AppendReply(nil, "+OK events not diverted"))
		}
	case "filter":
		if rest == "" {
			c.send(wire.AppendReply(nil, "-ERR command not found"))
		} else {
			c.send(wire.AppendReply(nil, c.filterCommand(rest)))
		}
	case "sendmsg":
		// The channel acts on the message after the reply is written.
		// Reply and action happen in one critical section, so anyone who
		// saw the reply and then takes the lock sees the action done.
		s.lock()
		reply, then := c.sendmsg(rest, m)
		c.send(wire.AppendReply(nil, reply))
		if then != nil {
			then()
		}
		s.unlock()
	case "sendevent":
		s.lock()
		reply, ev := c.sendevent(rest, m)
		c.send(wire.AppendReply(nil, reply))
		s.fire(ev, nil)
		s.unlock()
	case "log":
		c.send(wire.AppendReply(nil, c.logCommand(rest)))
	case "nolog":
		s.lock()
		r := "-ERR not loging"
		if c.logLevel >= 0 {
			c.logLevel = -1
			r = "+OK no longer logging"
		}
		s.unlock()
		c.send(wire.AppendReply(nil, r))
	case "linger", "nolinger", "connect", "getvar", "resume":
		if c.sessionID == "" {
			if word == "linger" || word == "nolinger" {
				c.send(wire.AppendReply(nil, "-ERR not controlling a session"))
			} else {
				c.send(wire.AppendReply(nil, "-ERR command not found"))
			}
			return true
		}
		c.outboundCommand(strings.ToLower(word), rest)
	default:
		c.send(wire.AppendReply(nil, "-ERR command not found"))
	}
	return true
}

var knownCommands = map[string]bool{"auth": true, "userauth": true, "api": true, "bgapi": true,
	"event": true, "nixevent": true, "noevents": true, "myevents": true, "divert_events": true,
	"filter": true, "sendmsg": true, "sendevent": true, "log": true, "nolog": true, "linger": true,
	"nolinger": true, "connect": true, "getvar": true, "resume": true, "exit": true, "...": true}

// waitCPU holds the connection's next command for the time the capacity
// model's time-shared CPU takes to run it (capState.commandDelay in
// capacity.go): the listener thread's own work, not the set-ups queued
// ahead. It returns false when the server closed meanwhile.
func (c *conn) waitCPU() bool {
	s := c.s
	s.lock()
	var d time.Duration
	if s.capacity != nil {
		d = s.capacity.commandDelay(s.clock.Now())
	}
	s.unlock()
	if d <= 0 {
		return true
	}
	ready, ack := make(chan struct{}), make(chan struct{})
	t := s.clock.AfterFunc(d, func() {
		close(ready)
		select {
		case <-ack:
		case <-s.done:
		}
	})
	c.cpuWaiting.Store(true)
	defer c.cpuWaiting.Store(false)
	select {
	case <-ready:
		c.cpuAck = ack
		return true
	case <-s.done:
		t.Stop()
		return false
	}
}

// dispatched reports that the command released by waitCPU has done what
// it does at once (a blocking api has started).
func (c *conn) dispatched() {
	if c.cpuAck != nil {
		close(c.cpuAck)
		c.cpuAck = nil
	}
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

func (c *conn) apiCommand(rest string, m *wire.Message) {
	s := c.s
	done := make(chan string, 1)
	c.beginAPI()
	s.lock()
	s.runAPI(rest, c, func(out string) { done <- out })
	s.unlock()
	c.dispatched()
	out := <-done
	if out == "" {
		out = "-ERR no reply\n"
	}
	c.endAPI(wire.AppendAPIResponse(nil, []byte(out)))
}

func (c *conn) bgapiCommand(rest string, m *wire.Message) {
	s := c.s
	job := m.Get("job-uuid")
	if job == "" {
		job = uuid.NewString()
	}
	s.lock()
	c.send(wire.AppendReply(nil, "+OK Job-UUID: "+job, wire.Header{Name: "Job-UUID", Value: job}))
	cmd, arg := splitCmd(rest)
	s.runAPI(rest, nil, func(out string) {
		// called with the lock held
		ev := s.newEvent("BACKGROUND_JOB", "mod_event_socket.c", "api_exec", 1572)
		ev.Add("Job-UUID", job)
		ev.Add("Job-Command", cmd)
		ev.Add("Job-Command-Arg", arg)
		ev.Body = out
		s.fire(ev, nil)
	})
	s.unlock()
}

func splitCmd(s string) (string, string) {
	s = strings.TrimLeft(s, " ")
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], strings.TrimLeft(s[i+1:], " ")
	}
	return s, ""
}
