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

// AddProxy declares a SIP proxy at addr (a Kamailio or OpenSIPS in front
// of the servers): dial strings with ";fs_path=<sip:addr>" send their
// INVITE through it to the Request-URI's server. An fs_path naming a
// server's own SIP address sends the INVITE to that server instead, its
// Request-URI unchanged (a FreeSWITCH in the path, e.g. one running
// switchio's Proxier). Links to and from addr
// add their latency.
func (n *Network) AddProxy(addr string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.proxies[addr] = true
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
	return n.delayAddr(from, from.sipAddr, to.sipAddr)
}

func (n *Network) delayAddr(from *Server, a, b string) time.Duration {
	l, ok := n.links[[2]string{a, b}]
	if !ok {
		return 0
	}
	d := l.Latency
	if l.Jitter > 0 {
		d += time.Duration(from.rng.Int63n(int64(l.Jitter) + 1))
	}
	return d
}

// send delivers a request from a server to the owner of addr (nil when no
// server owns it), through the proxy via when given, after the link
// delays. Called with the lock held.
func (n *Network) send(from *Server, addr, via string, f func(dst *Server)) {
	if via != "" && !n.proxies[via] && n.servers[via] != nil {
		// The next hop is a FreeSWITCH, not a proxy: the INVITE lands
		// there, its Request-URI still naming addr, as a real route set
		// (fs_path) sends it to its first hop. That server's dialplan
		// sees sip_req_uri = user@addr (a B2BUA in the path).
		n.sendNow(from, via, f, false)
		return
	}
	if via != "" {
		if !n.proxies[via] {
			f(nil)
			return
		}
		d := n.delayAddr(from, from.sipAddr, via) + n.delayAddr(from, via, addr)
		if d > 0 {
			from.clock.AfterFunc(d, func() {
				n.mu.Lock()
				defer n.mu.Unlock()
				n.sendNow(from, addr, func(dst *Server) { f(dst) }, true)
			})
			return
		}
		n.sendNow(from, addr, f, true)
		return
	}
	dst := n.servers[addr]
	if dst == nil || dst.closed {
		f(nil)
		return
	}
	n.sendNow(from, addr, f, false)
}

func (n *Network) sendNow(from *Server, addr string, f func(dst *Server), delayed bool) {
	dst := n.servers[addr]
	if dst == nil || dst.closed {
		f(nil)
		return
	}
	var d time.Duration
	if !delayed {
		d = n.delay(from, dst)
	}
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
