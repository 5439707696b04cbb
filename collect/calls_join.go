package collect

import (
	"strings"

	"github.com/switchio/switchio/cluster"
)

// Calls switchio did not place carry no correlation header, so the
// cluster client cannot tell that two legs belong together: a B2BUA's
// legs on one server, or a call's two ends on two servers. Outside a
// load test the CDR joins them itself, from what FreeSWITCH says of them:
// a leg whose event names the other leg (Other-Leg-Unique-ID once the
// legs are originator and originatee or bridged, variable_bridge_uuid)
// belongs with it, and so does a leg carrying the same SIP Call-ID as a
// leg on another server (the INVITE one sent and the other received). The
// joined call's caller is the side that placed it: across a SIP hop the
// side with the outbound leg that sent the INVITE, in a B2BUA the side
// with the inbound leg that was bridged on; the servers' stamps cannot
// tell (one clock tick, two clocks).

// join merges p with the partials its event links it to and returns the
// partial the event's leg now belongs to; m.mu held.
func (m *CallRecorder) join(p *partial, e *cluster.Event) *partial {
	if m.cfg.LoadTest {
		return p
	}
	for _, other := range [...]string{e.Get("Other-Leg-Unique-ID"), e.Get("variable_bridge_uuid")} {
		if other == "" {
			continue
		}
		if k, ok := m.legKey[other]; ok && k != p.key {
			if q := m.calls[k]; q != nil {
				p = m.mergePartials(p, q, false)
			}
		}
	}
	if id := e.Get("variable_sip_call_id"); id != "" {
		k, ok := m.bySIP[id]
		switch {
		case !ok:
			id = strings.Clone(id) // a view into the event's buffer
			m.bySIP[id] = p.key
			p.sips = append(p.sips, id)
		case k != p.key:
			if q := m.calls[k]; q != nil {
				p = m.mergePartials(p, q, true)
			}
		}
	}
	return p
}

// mergePartials joins two partials of one call into the caller's side
// and returns it: across a SIP hop (sip) the one holding an outbound leg,
// else the one holding an inbound leg; the first seen created when both
// or neither do. m.mu held.
func (m *CallRecorder) mergePartials(a, b *partial, sip bool) *partial {
	placed := func(x *partial) bool {
		for _, l := range x.legs {
			if l.outbound == sip {
				return true
			}
		}
		return false
	}
	keep, gone := a, b
	switch pa, pb := placed(a), placed(b); {
	case pb && !pa:
		keep, gone = b, a
	case pa == pb:
		if ea, eb := a.earliest(nil), b.earliest(nil); ea != nil && eb != nil && eb.localCreate.Before(ea.localCreate) {
			keep, gone = b, a
		}
	}
	for _, l := range gone.legs {
		keep.legs.put(l)
		m.legKey[l.uuid] = keep.key
	}
	keep.up += gone.up
	if gone.counted {
		if keep.counted {
			m.up--
		}
		keep.counted = true
	}
	for _, id := range gone.sips {
		m.bySIP[id] = keep.key
	}
	keep.sips = append(keep.sips, gone.sips...)
	if keep.app == "" {
		keep.app = gone.app
	}
	if keep.call == nil {
		keep.call = gone.call
	}
	delete(m.calls, gone.key)
	delete(m.live, gone.key)
	return keep
}

// forget drops a written partial from the join indexes; m.mu held.
func (m *CallRecorder) forget(p *partial) {
	for _, l := range p.legs {
		if m.legKey[l.uuid] == p.key {
			delete(m.legKey, l.uuid)
		}
	}
	for _, id := range p.sips {
		if m.bySIP[id] == p.key {
			delete(m.bySIP, id)
		}
	}
}
