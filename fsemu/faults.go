package fsemu

import (
	"strconv"
	"strings"
	"time"

	"github.com/switchio/switchio/esl/wire"
)

// DropConnections closes every ESL connection abruptly (no notice), as a
// network failure would. Channels are unaffected.
func (s *Server) DropConnections() {
	s.lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.unlock()
	for _, c := range conns {
		c.abort()
	}
}

// Stall stops writing to every connection for d (replies and events queue
// up meanwhile), emulating a server that hangs. d runs on the wall clock.
func (s *Server) Stall(d time.Duration) {
	s.lock()
	until := time.Now().Add(d)
	for c := range s.conns {
		c.omu.Lock()
		c.stallUntil = until
		c.omu.Unlock()
	}
	s.unlock()
}

// SendMalformed writes a frame that breaks ESL framing (a Content-Length
// larger than the body that follows, then garbage) to every connection.
func (s *Server) SendMalformed() {
	s.lock()
	defer s.unlock()
	for c := range s.conns {
		c.send([]byte("Content-Length: 99999999999\nContent-Type: text/event-plain\n\ngarbage\n"))
	}
}

// FloodEvents raises n CUSTOM events (subclass fsemu::flood), which also
// exercises the per-connection queue limit and its lost-events kill.
func (s *Server) FloodEvents(n int) {
	s.lock()
	defer s.unlock()
	for i := 0; i < n; i++ {
		ev := &wire.Event{Headers: make([]wire.Header, 0, 16)}
		ev.Headers = append(ev.Headers, wire.Header{Name: "Event-Subclass", Value: "fsemu::flood"},
			wire.Header{Name: "Event-Name", Value: "CUSTOM"})
		s.appendStd(ev, "fsemu", "flood", 1)
		ev.Add("Flood-Index", strconv.Itoa(i))
		s.fire(ev, nil)
	}
}

// DenyAPI makes api and bgapi refuse the named commands (e.g. "fsctl") with
// "-ERR permission denied", as FreeSWITCH answers an ESL user whose allowed
// API list lacks them; it tests how a controller reports a server that
// refuses its set-up. DenyAPI() with no names allows everything again.
func (s *Server) DenyAPI(commands ...string) {
	if len(commands) == 0 {
		s.denied.Store(nil)
		return
	}
	denied := make(map[string]bool, len(commands))
	for _, c := range commands {
		denied[strings.ToLower(c)] = true
	}
	s.denied.Store(&denied)
}

// apiDenied reports whether DenyAPI refuses cmd. It runs for every api and
// bgapi command, so it reads the set without taking the server's lock.
func (s *Server) apiDenied(cmd string) bool {
	denied := s.denied.Load()
	return denied != nil && (*denied)[strings.ToLower(cmd)]
}
