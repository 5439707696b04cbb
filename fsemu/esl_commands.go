package fsemu

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

// handle runs one client command; it returns false when the connection ends.
func (c *conn) handle(m *wire.Message) bool {
	cmd := strings.TrimRight(m.Command, "\r\n")
	authed := c.countCommand(cmd)
	if cmd == "exit" || cmd == "..." {
		return c.exit()
	}
	if !authed {
		return c.handleUnauthed(cmd)
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
	if (lword == "api" || lword == "bgapi") && c.s.apiDenied(firstWord(rest)) {
		// as mod_event_socket answers a user without the command in its
		// allowed API list
		c.send(wire.AppendReply(nil, "-ERR permission denied"))
		return true
	}
	c.dispatch(cmd, word, lword, rest, m)
	return true
}

// countCommand counts cmd's first word in the server's command counts
// (known words only, so garbage cannot grow the map) and reports whether
// the connection has authenticated, both under one lock.
func (c *conn) countCommand(cmd string) bool {
	s := c.s
	s.lock()
	defer s.unlock()
	w := strings.ToLower(firstWord(cmd))
	if !knownCommands[w] {
		w = "other" // unknown words are not kept, so garbage cannot grow the map
	}
	s.commands[w]++
	return c.authed
}

// exit answers "exit" (or "...") and ends the connection; an outbound
// socket first lets go of its session. It returns false: the connection
// is over.
func (c *conn) exit() bool {
	inSession := c.sessionID != ""
	c.send(wire.AppendReply(nil, "+OK bye"))
	if inSession {
		c.s.lock()
		c.detach()
		c.s.unlock()
	}
	c.closeWithNotice(noticeBye)
	return false
}

// handleUnauthed runs a command before authentication: only auth
// succeeds, with the right password; a wrong one, or userauth, ends the
// connection. It returns false when the connection ends.
func (c *conn) handleUnauthed(cmd string) bool {
	s := c.s
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

// dispatch runs an authenticated command: cmd is the whole line, word its
// first word as sent, lword that word in lower case and rest the line
// after it.
func (c *conn) dispatch(cmd, word, lword, rest string, m *wire.Message) {
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
		c.send(wire.AppendReply(nil, c.noeventsCommand()))
	case "myevents":
		c.send(wire.AppendReply(nil, c.myevents(rest)))
	case "divert_events":
		c.send(wire.AppendReply(nil, c.divertEventsCommand(rest)))
	case "filter":
		if rest == "" {
			c.send(wire.AppendReply(nil, "-ERR command not found"))
		} else {
			c.send(wire.AppendReply(nil, c.filterCommand(rest)))
		}
	case "sendmsg":
		c.sendmsgCommand(rest, m)
	case "sendevent":
		c.sendeventCommand(rest, m)
	case "log":
		c.send(wire.AppendReply(nil, c.logCommand(rest)))
	case "nolog":
		c.send(wire.AppendReply(nil, c.nologCommand()))
	case "linger", "nolinger", "connect", "getvar", "resume":
		c.sessionCommand(word, rest)
	default:
		c.send(wire.AppendReply(nil, "-ERR command not found"))
	}
}

// noeventsCommand stops the event subscription; it returns the reply.
func (c *conn) noeventsCommand() string {
	s := c.s
	s.lock()
	defer s.unlock()
	if !c.events {
		return "-ERR not listening for events"
	}
	c.events = false
	c.subs = [numEventTypes]bool{}
	c.custom = nil
	return "+OK no longer listening for events"
}

// divertEventsCommand returns mod_event_socket's reply to divert_events;
// the setting itself has no effect in fsemu.
func (c *conn) divertEventsCommand(rest string) string {
	switch {
	case rest == "":
		return "-ERR missing value."
	case c.sessionID == "":
		return "-ERR not controlling a session."
	case strings.EqualFold(rest, "on"):
		return "+OK events diverted"
	}
	return "+OK events not diverted"
}

// sendmsgCommand runs sendmsg. The channel acts on the message after the
// reply is written. Reply and action happen in one critical section, so
// anyone who saw the reply and then takes the lock sees the action done.
func (c *conn) sendmsgCommand(rest string, m *wire.Message) {
	s := c.s
	s.lock()
	defer s.unlock()
	reply, then := c.sendmsg(rest, m)
	c.send(wire.AppendReply(nil, reply))
	if then != nil {
		then()
	}
}

// sendeventCommand runs sendevent: the reply, then the event fired.
func (c *conn) sendeventCommand(rest string, m *wire.Message) {
	s := c.s
	s.lock()
	defer s.unlock()
	reply, ev := c.sendevent(rest, m)
	c.send(wire.AppendReply(nil, reply))
	s.fire(ev, nil)
}

// nologCommand stops log delivery; it returns the reply (FreeSWITCH's
// spelling).
func (c *conn) nologCommand() string {
	s := c.s
	s.lock()
	defer s.unlock()
	if c.logLevel < 0 {
		return "-ERR not loging"
	}
	c.logLevel = -1
	return "+OK no longer logging"
}

// sessionCommand runs a command only an outbound socket has (linger,
// nolinger, connect, getvar, resume); word is as sent, so only those
// spelt in lower case get linger's own refusal.
func (c *conn) sessionCommand(word, rest string) {
	if c.sessionID == "" {
		if word == "linger" || word == "nolinger" {
			c.send(wire.AppendReply(nil, "-ERR not controlling a session"))
		} else {
			c.send(wire.AppendReply(nil, "-ERR command not found"))
		}
		return
	}
	c.outboundCommand(strings.ToLower(word), rest)
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
