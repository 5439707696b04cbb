package fsemu

import (
	"strings"

	"github.com/switchio/switchio/esl/wire"
)

// sendmsg queues a message to a channel (switch_ivr_parse_event). Called
// with the lock held; the returned func acts on the message.
func (c *conn) sendmsg(rest string, m *wire.Message) (string, func()) {
	s := c.s
	id := strings.TrimSpace(rest)
	if id == "" {
		id = m.Get("session-id")
	}
	if id == "" {
		id = c.sessionID
	}
	ch := s.channels[id]
	if ch == nil || ch.gone() {
		return "-ERR invalid session id [" + id + "]", nil
	}
	return "+OK", func() { ch.message(m) }
}

// message acts on a sendmsg message (switch_ivr_parse_event).
func (ch *channel) message(m *wire.Message) {
	s := ch.s
	if ch.gone() {
		return
	}
	switch strings.ToLower(m.Get("call-command")) {
	case "execute":
		app := m.Get("execute-app-name")
		arg := m.Get("execute-app-arg")
		if arg == "" && len(m.Body) > 0 {
			arg = string(m.Body)
		}
		loops := 1
		if l := m.Get("loops"); l != "" {
			if n := atoi(l); n != 0 {
				loops = n
			}
		}
		q := queuedApp{name: app, arg: arg, uuid: m.Get("event-uuid"), loops: loops,
			lock: m.Get("event-lock") == "true", loopVars: true}
		if n := len(ch.apps); n == 0 || ch.apps[n-1].parkLike() {
			ch.exec(q)
		} else if top := ch.apps[n-1]; !q.lock && top.nests() {
			top.pause(ch)
			ch.exec(q)
		} else {
			ch.queue = append(ch.queue, q)
		}
	case "hangup":
		cause := m.Get("hangup-cause")
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		s.hangup(ch, strings.ToUpper(cause))
	case "unicast", "nomedia", "xferext":
	}
}
