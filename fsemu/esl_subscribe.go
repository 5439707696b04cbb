package fsemu

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

func (c *conn) eventCommand(cmd string) string {
	s := c.s
	s.lock()
	defer s.unlock()
	words := strings.Fields(cmd)[1:]
	keys := 0
	custom := false
	for i, w := range words {
		if i == 0 {
			if f, ok := wire.ParseFormat(strings.ToLower(w)); ok {
				c.format = f
				continue
			}
		}
		if custom {
			if c.custom == nil {
				c.custom = map[string]bool{}
			}
			c.custom[w] = true
			continue
		}
		t, ok := eventTypeByName(w)
		if !ok {
			continue
		}
		keys++
		if t == evALL {
			for x := range c.subs {
				c.subs[x] = true
			}
		}
		c.subs[t] = true
		if t == evCUSTOM {
			custom = true
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.events = true
	return "+OK event listener enabled " + c.format.String()
}

func (c *conn) nixeventCommand(cmd string) string {
	s := c.s
	s.lock()
	defer s.unlock()
	words := strings.Fields(cmd)[1:]
	keys := 0
	custom := false
	for _, w := range words {
		if custom {
			delete(c.custom, w)
			continue
		}
		t, ok := eventTypeByName(w)
		if !ok {
			continue
		}
		keys++
		if t == evALL {
			c.subs = [numEventTypes]bool{}
			c.custom = nil
		}
		if t == evCUSTOM {
			custom = true
		} else {
			c.subs[t] = false
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	return "+OK events nixed"
}

var myEventsList = []string{"CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE",
	"CHANNEL_DATA", "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
	"CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING", "CHANNEL_PARK",
	"CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE", "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK",
	"DETECTED_SPEECH", "DTMF", "NOTALK", "TALK"}

func (c *conn) myevents(rest string) string {
	s := c.s
	s.lock()
	defer s.unlock()
	f := strings.Fields(rest)
	if c.myUUID != "" {
		return "-ERR aready enabled."
	}
	if c.sessionID != "" {
		// outbound: the controlled session, format optional
		f = append([]string{c.sessionID}, f...)
		if len(f) > 1 {
			if fm, ok := wire.ParseFormat(strings.ToLower(f[1])); ok {
				c.format = fm
			}
		}
		f = f[:1]
	}
	if len(f) == 0 {
		return "-ERR invalid uuid"
	}
	id := f[0]
	if len(f) > 1 {
		if s.channels[id] == nil {
			return "-ERR invalid uuid"
		}
		if fm, ok := wire.ParseFormat(strings.ToLower(f[1])); ok {
			c.format = fm
		}
	}
	c.myUUID = id
	for _, n := range myEventsList {
		t, _ := eventTypeByName(n)
		c.subs[t] = true
	}
	c.events = true
	return "+OK Events Enabled"
}

func (c *conn) filterCommand(rest string) string {
	s := c.s
	s.lock()
	defer s.unlock()
	name, val := splitCmd(rest)
	if strings.EqualFold(name, "delete") {
		h, v := splitCmd(val)
		if strings.EqualFold(h, "all") && v == "" {
			c.filters = nil
			return "+OK filter deleted. [all][]"
		}
		if h == "" {
			return "-ERR invalid syntax"
		}
		kept := c.filters[:0]
		for _, f := range c.filters {
			if strings.EqualFold(f.Name, h) && (v == "" || f.Value == v) {
				continue
			}
			kept = append(kept, f)
		}
		c.filters = kept
		return "+OK filter deleted. [" + h + "][" + v + "]"
	}
	if strings.EqualFold(name, "add") {
		name, val = splitCmd(val)
	}
	if val == "" {
		return "-ERR invalid syntax"
	}
	c.filters = append(c.filters, wire.Header{Name: name, Value: val})
	return "+OK filter added. [" + name + "]=[" + val + "]"
}

var logLevels = []string{"CONSOLE", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG"}

func parseLogLevel(s string) (int, bool) {
	if s == "" {
		return 7, true
	}
	if isCNumber(s) {
		n := atoi(s)
		if n < 0 || n > 7 {
			return 0, false
		}
		return n, true
	}
	for i, l := range logLevels {
		if strings.EqualFold(l, s) {
			return i, true
		}
	}
	if strings.EqualFold(s, "error") {
		return 3, true
	}
	return 0, false
}

func (c *conn) logCommand(rest string) string {
	lvl, ok := parseLogLevel(rest)
	if !ok {
		return "-ERR invalid log level"
	}
	s := c.s
	s.lock()
	c.logLevel = lvl
	s.unlock()
	return "+OK log level " + rest + " [" + strconv.Itoa(lvl) + "]"
}

func (c *conn) sendevent(rest string, m *wire.Message) (string, *wire.Event) {
	s := c.s
	name := strings.TrimSpace(rest)
	t, ok := eventTypeByName(name)
	if !ok {
		t = evCUSTOM
	}
	ev := &wire.Event{Headers: make([]wire.Header, 0, len(m.Headers)+16)}
	id := uuid.NewString()
	if sub := m.Get("Event-Subclass"); t == evCUSTOM && sub != "" {
		ev.Headers = append(ev.Headers, wire.Header{Name: "Event-Subclass", Value: sub})
	}
	ev.Headers = append(ev.Headers, wire.Header{Name: "Command", Value: strings.TrimRight(m.Command, "\r\n")})
	for _, h := range m.Headers {
		if t == evCUSTOM && strings.EqualFold(h.Name, "Event-Subclass") {
			continue
		}
		ev.Add(h.Name, h.Value)
	}
	ev.Body = string(m.Body)
	ev.Add("Event-UUID", id)
	ev.Add("Event-Name", eventNames[t])
	s.appendStd(ev, "mod_event_socket.c", "parse_command", 2275)
	return "+OK " + id, ev
}
