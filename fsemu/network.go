package fsemu

import (
	"time"
)

// Link describes the emulated path between two SIP addresses: signalling
// latency (plus uniform jitter) and media impairment.
type Link struct {
	// Latency delays every SIP message (INVITE, 180/200, BYE) one way.
	Latency time.Duration
	// Jitter adds a uniformly random 0..Jitter to each delay.
	Jitter time.Duration
	// Loss is the media packet loss ratio (0..1); bert_test loses sync
	// when it is high enough.
	Loss float64
}

// SetLink sets the link between two SIP addresses (both directions).
func (n *Network) SetLink(a, b string, l Link) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.links[[2]string{a, b}] = l
	n.links[[2]string{b, a}] = l
}

// Server returns the server owning a SIP address, or nil.
func (n *Network) Server(sipAddr string) *Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.servers[sipAddr]
}

func (n *Network) link(from, to *Server) Link {
	if l, ok := n.links[[2]string{from.sipAddr, to.sipAddr}]; ok {
		return l
	}
	return Link{}
}

func (n *Network) delay(from, to *Server) time.Duration {
	l := n.link(from, to)
	d := l.Latency
	if l.Jitter > 0 {
		d += time.Duration(from.rng.Int63n(int64(l.Jitter) + 1))
	}
	return d
}

// send delivers a request from a server to the owner of addr (nil when no
// server owns it), after the link delay. Called with the lock held.
func (n *Network) send(from *Server, addr string, f func(dst *Server)) {
	dst := n.servers[addr]
	if dst == nil || dst.closed {
		f(nil)
		return
	}
	if from.capacity != nil {
		if d := from.capacity.setupDelay(from.clock.Now()); d > 0 {
			from.clock.AfterFunc(d, func() {
				n.mu.Lock()
				defer n.mu.Unlock()
				n.sendNow(from, addr, f)
			})
			return
		}
	}
	n.sendNow(from, addr, f)
}

func (n *Network) sendNow(from *Server, addr string, f func(dst *Server)) {
	dst := n.servers[addr]
	if dst == nil || dst.closed {
		f(nil)
		return
	}
	d := n.delay(from, dst)
	if d <= 0 {
		f(dst)
		return
	}
	from.clock.AfterFunc(d, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if dst.closed {
			f(nil)
			return
		}
		f(dst)
	})
}

// reply delivers a response or in-dialog request from one server to
// another after the link delay. Called with the lock held.
func (n *Network) reply(from, to *Server, f func()) {
	if from == to {
		f()
		return
	}
	d := n.delay(from, to)
	if d <= 0 {
		f()
		return
	}
	from.clock.AfterFunc(d, func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		if to.closed {
			return
		}
		f()
	})
}
