package fsemu

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// socketApp runs the "socket" application: FreeSWITCH connects to
// host:port (outbound event socket) and the peer controls the channel.
// "async" parks the channel and runs messages from the park loop; "full"
// allows every command.
func (ch *channel) socketApp(ap *appRun) {
	s := ch.s
	f := strings.Fields(ap.arg)
	if len(f) == 0 {
		ch.finishApp(ap)
		return
	}
	addr := f[0]
	async, full := false, false
	for _, w := range f[1:] {
		switch w {
		case "async":
			async = true
		case "full":
			full = true
		}
	}
	ch.setVar("socket_host", hostOf(addr))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		s.lock()
		defer s.unlock()
		if err != nil || s.closed || ch.gone() {
			if nc != nil {
				nc.Close()
			}
			if !ch.gone() {
				ch.setVar("current_application_response", "_none_")
				ch.finishApp(ap)
			}
			return
		}
		c := s.newConn(nc)
		c.authed, c.session, c.sockApp, c.async, c.full, c.sessionID = true, ch, ap, async, full, ch.uuid
		ch.sock = c
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		go c.writeLoop()
		go c.readLoop()
	}()
}

// outboundCommand handles the commands only an outbound socket has.
func (c *conn) outboundCommand(word, rest string) {
	s := c.s
	s.lock()
	defer s.unlock()
	ch := c.session
	switch word {
	case "connect":
		if ch == nil || ch.gone() {
			c.send(wire.AppendReply(nil, "-ERR no session"))
			return
		}
		c.connected = true
		ev := s.newEventCap("CHANNEL_DATA", "mod_event_socket.c", "parse_command", 2021, 200)
		ev.Headers = ch.appendProfileAs(ev.Headers, "Channel-")
		ch.appendBlock(ev, true)
		ev.Add("Content-Type", "command/reply")
		ev.Add("Reply-Text", "+OK\n")
		mode := "static"
		if c.async {
			mode = "async"
		}
		ev.Add("Socket-Mode", mode)
		ctl := "single-channel"
		if c.full {
			ctl = "full"
		}
		ev.Add("Control", ctl)
		c.send(ev.AppendPlain(nil))
		if c.async {
			// the socket application parks the channel and runs messages
			// from the park loop
			ch.parked = true
			ch.emit(evPark, nil, nil)
		}
	case "linger":
		n := 0
		if rest != "" {
			n = atoi(strings.Fields(rest)[0])
		}
		if n <= 0 {
			n = 600
		}
		c.linger = n
		c.send(wire.AppendReply(nil, "+OK will linger "+strconv.Itoa(n)+" seconds"))
	case "nolinger":
		c.linger = 0
		c.send(wire.AppendReply(nil, "+OK will not linger"))
	case "getvar":
		v := ""
		if ch != nil {
			v, _ = ch.getVar(strings.TrimSpace(rest))
		}
		if len(v) > 510 {
			v = v[:510] // FreeSWITCH's reply buffer
		}
		c.send(wire.AppendReply(nil, v))
	case "resume":
		c.resume = true
		if ch != nil {
			ch.setVar("socket_resume", "true")
		}
		c.send(wire.AppendReply(nil, "+OK"))
	}
}

// sessionHungUp is called after the controlled channel's
// CHANNEL_HANGUP_COMPLETE: the socket lingers or disconnects.
func (c *conn) sessionHungUp() {
	if c.sessEnded {
		return
	}
	c.sessEnded = true
	c.events = false // nothing after the hang-up reaches the socket
	if c.linger > 0 {
		ch := c.session
		c.send(wire.AppendMessage(nil, []wire.Header{
			{Name: "Content-Type", Value: wire.TypeDisconnectNotice},
			{Name: "Controlled-Session-UUID", Value: c.sessionID},
			{Name: "Content-Disposition", Value: "linger"},
			{Name: "Channel-Name", Value: ch.name},
			{Name: "Linger-Time", Value: strconv.Itoa(c.linger)},
			{Name: "Content-Length", Value: "0"},
		}, nil))
		c.s.clock.AfterFunc(time.Duration(c.linger)*time.Second, func() { c.closeWithNotice(noticeBye) })
		return
	}
	c.closeWithNotice(noticeBye)
}

// detach ends socket control when the peer leaves first: the socket
// application completes and, with "resume", the dialplan continues;
// otherwise the channel hangs up.
func (c *conn) detach() {
	ch := c.session
	if ch == nil || ch.gone() || c.sessEnded {
		return
	}
	c.sessEnded = true
	ch.sock = nil
	ap := c.sockApp
	if ap == nil {
		return
	}
	if ch.parked {
		ch.parked = false
		ch.emit(evUnpark, nil, nil)
	}
	if c.resume {
		ch.finishApp(ap)
		return
	}
	ch.s.hangup(ch, "NORMAL_CLEARING")
}

func (ch *channel) appendProfileAs(h []wire.Header, prefix string) []wire.Header {
	n := channelNames
	_ = prefix
	return ch.appendProfileNames(h, n, &ch.prof, ch, true)
}
