package fsemu

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/switchio/switchio/esl/wire"
)

const (
	maxQueueLen = 100000 // MAX_QUEUE_LEN
	maxMissed   = 500    // MAX_MISSED

	noticeBye      = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
	noticeShutdown = "The system is being shut down.\n"
	noticeLost     = "killed listener because of lost events\n"
)

// conn is one ESL client connection. Subscription state is guarded by the
// network lock; the output queue by omu.
type conn struct {
	s  *Server
	nc net.Conn
	// cpuAck, when set, is closed once the command that waited for CPU
	// has been dispatched (read loop only); the clock callback that
	// released it waits for that, so on a VirtualClock the command runs
	// at the instant it was due.
	cpuAck chan struct{}
	// cpuWaiting is set while a command waits for CPU (for tests that
	// step a VirtualClock: the connection has caught up with the clock).
	cpuWaiting atomic.Bool

	// guarded by net.mu
	authed   bool
	events   bool // LFLAG_EVENTS
	format   wire.Format
	subs     [numEventTypes]bool
	custom   map[string]bool
	filters  []wire.Header
	myUUID   string
	logLevel int // -1: not logging
	dead     bool

	// outbound (socket application) mode, guarded by net.mu
	session   *channel
	sockApp   *appRun
	async     bool
	full      bool
	linger    int // seconds; 0: no linger
	resume    bool
	connected bool
	sessEnded bool

	// output, guarded by omu
	omu        sync.Mutex
	queue      []*frame
	held       []*frame
	inAPI      bool
	missed     int
	closing    bool // close after the queue drains
	abortNow   bool
	stallUntil time.Time
	sessionID  string // outbound mode: the controlled channel (immutable)
	wake       chan struct{}
	done       chan struct{}
}

func (s *Server) serve(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c := &conn{s: s, nc: nc, logLevel: -1, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.lock()
	if s.closed {
		s.unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.unlock()
	s.wg.Add(2)
	go c.writeLoop()
	if !s.allowed(nc.RemoteAddr()) {
		c.send(wire.AppendTypedBody(nil, wire.TypeRudeRejection, []byte("Access Denied, go away.\n")))
		c.closeWithNotice(noticeBye)
		go func() { defer s.wg.Done(); c.drainReads() }()
		return
	}
	c.send([]byte("Content-Type: auth/request\n\n"))
	go c.readLoop()
}

func (s *Server) allowed(a net.Addr) bool {
	if s.cfg.ACL != nil {
		ta, ok := a.(*net.TCPAddr)
		return ok && s.cfg.ACL(ta.IP)
	}
	return s.cfg.AllowRemote || isLoopback(a)
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func (c *conn) drainReads() {
	var b [512]byte
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := c.nc.Read(b[:]); err != nil {
			return
		}
	}
}

// send queues a reply frame (never held back).
func (c *conn) send(b []byte) {
	c.omu.Lock()
	if !c.closing {
		c.queue = append(c.queue, bytesFrame(b))
	}
	c.omu.Unlock()
	c.signal()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueueEvent queues an event frame, applying FreeSWITCH's drop policy.
// It reports false when the listener must be killed for lost events.
func (c *conn) enqueueEvent(b *frame) bool {
	c.omu.Lock()
	if c.closing {
		c.omu.Unlock()
		return true
	}
	b.refs.Add(1)
	if len(c.queue)+len(c.held) >= c.s.queueLimit {
		b.refs.Add(-1)
		c.missed++
		kill := c.missed > maxMissed
		c.omu.Unlock()
		return !kill
	}
	c.missed = 0
	if c.inAPI {
		c.held = append(c.held, b)
	} else {
		c.queue = append(c.queue, b)
	}
	c.omu.Unlock()
	c.signal()
	return true
}

func (c *conn) beginAPI() {
	c.omu.Lock()
	c.inAPI = true
	c.omu.Unlock()
}

func (c *conn) endAPI(reply []byte) {
	c.omu.Lock()
	c.inAPI = false
	if !c.closing {
		c.queue = append(c.queue, bytesFrame(reply))
		c.queue = append(c.queue, c.held...)
	}
	c.held = nil
	c.omu.Unlock()
	c.signal()
}

// closeWithNotice queues a disconnect notice and closes after it is written.
func (c *conn) closeWithNotice(body string) {
	c.omu.Lock()
	if !c.closing {
		c.queue = append(c.queue, c.held...)
		c.held = nil
		c.inAPI = false
		c.queue = append(c.queue, bytesFrame(c.noticeFrame(body)))
		c.closing = true
		// a peer that stopped reading must not hold the writer forever
		c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	}
	c.omu.Unlock()
	c.signal()
}

// noticeFrame is the disconnect notice; in outbound mode it names the
// controlled session.
func (c *conn) noticeFrame(body string) []byte {
	if c.sessionID == "" {
		return wire.AppendTypedBody(nil, wire.TypeDisconnectNotice, []byte(body))
	}
	return wire.AppendMessage(nil, []wire.Header{
		{Name: "Content-Type", Value: wire.TypeDisconnectNotice},
		{Name: "Controlled-Session-UUID", Value: c.sessionID},
		{Name: "Content-Disposition", Value: "disconnect"},
		{Name: "Content-Length", Value: strconv.Itoa(len(body))},
	}, []byte(body))
}

// abort resets the connection without writing anything more.
func (c *conn) abort() {
	c.omu.Lock()
	c.closing = true
	c.abortNow = true
	c.queue = nil
	c.held = nil
	c.omu.Unlock()
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.nc.Close()
	c.signal()
}

func (c *conn) writeLoop() {
	defer c.s.wg.Done()
	defer c.finish()
	var batch []*frame
	var iov net.Buffers
	for {
		c.omu.Lock()
		for len(c.queue) == 0 && !c.closing {
			c.omu.Unlock()
			select {
			case <-c.wake:
			case <-c.s.done:
				c.omu.Lock()
				if !c.closing {
					c.omu.Unlock()
					// Close() queues the notice; wait for it.
					<-c.wake
					c.omu.Lock()
					continue
				}
				c.omu.Unlock()
			}
			c.omu.Lock()
		}
		if c.abortNow {
			c.omu.Unlock()
			return
		}
		stall := c.stallUntil
		batch, c.queue = c.queue, batch[:0]
		closing := c.closing && len(batch) == 0
		if c.closing {
			// everything queued before closing is in batch
			closing = true
		}
		c.omu.Unlock()
		if d := time.Until(stall); d > 0 {
			select {
			case <-time.After(d):
			case <-c.s.done:
			}
		}
		iov = iov[:0]
		for _, f := range batch {
			iov = append(iov, f.b)
		}
		bufs := iov
		_, err := bufs.WriteTo(c.nc)
		for i, f := range batch {
			f.release()
			batch[i] = nil
		}
		for i := range iov {
			iov[i] = nil
		}
		if err != nil {
			c.abortConn()
			return
		}
		if closing {
			c.omu.Lock()
			more := len(c.queue) > 0
			c.omu.Unlock()
			if more {
				continue
			}
			if tc, ok := c.nc.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
			// give the peer a moment to read before closing
			c.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			return
		}
	}
}

func (c *conn) abortConn() {
	c.omu.Lock()
	c.closing = true
	c.queue = nil
	c.held = nil
	c.omu.Unlock()
}

func (c *conn) finish() {
	c.nc.Close()
	s := c.s
	s.lock()
	c.dead = true
	delete(s.conns, c)
	s.unlock()
	close(c.done)
}

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	r := wire.NewReader(c.nc)
	s := c.s
	first := c.sessionID == ""
	if first {
		c.nc.SetReadDeadline(time.Now().Add(s.cfg.AuthTimeout))
	}
	for {
		m, err := r.ReadCommand()
		if err != nil {
			if c.sessionID != "" {
				s.lock()
				c.detach()
				s.unlock()
			}
			c.omu.Lock()
			closing := c.closing
			c.omu.Unlock()
			if !closing {
				if ne, ok := err.(net.Error); ok && ne.Timeout() && first {
					c.closeWithNotice(noticeBye)
				} else {
					c.abortConn()
					c.signal()
				}
			}
			return
		}
		if first {
			first = false
			c.nc.SetReadDeadline(time.Time{})
		}
		s.stats.commands.Add(1)
		if !c.handle(m) {
			return
		}
	}
}

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
