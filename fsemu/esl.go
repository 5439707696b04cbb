package fsemu

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/esl/wire"
	"github.com/switchio/switchio/internal/rawsock"
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
	// rw reads and writes nc with raw system calls where it can
	// (internal/rawsock), so that an emulated cluster sharing a host with
	// its controller takes as little of the host's CPU as it can.
	rw net.Conn
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

// newConn sets up an event-socket connection on nc, inbound or outbound:
// no Nagle delay, raw system calls for its reads and writes, no log level.
func (s *Server) newConn(nc net.Conn) *conn {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return &conn{s: s, nc: nc, rw: rawsock.Wrap(nc), logLevel: -1, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (s *Server) serve(nc net.Conn) {
	c := s.newConn(nc)
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
		_, err := rawsock.WriteBuffers(c.rw, &bufs)
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
	r := wire.NewReader(c.rw)
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
