package dialer

import (
	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// bindApps gives a loaded app group the hooks its instances implement
// (appkit.SelfEnding, appkit.LoadAware, appkit.OriginateVarser,
// measure.AudioReceiver); o.mu held.
func (g *appGroup) bindApps(apps []cluster.App) {
	for _, a := range apps {
		if se, ok := a.(appkit.SelfEnding); ok && g.selfEnding == nil {
			g.selfEnding = se
		}
		if ov, ok := a.(appkit.OriginateVarser); ok && g.vars == nil {
			g.vars = ov.OriginateVars()
		}
		if la, ok := a.(appkit.LoadAware); ok {
			g.aware = append(g.aware, la)
		}
		if ar, ok := a.(measure.AudioReceiver); ok {
			g.audioLegs |= ar.ReceivingLegs()
		}
	}
}

// currentLoad is the load new calls get; o.mu held.
func (o *Originator) currentLoad() appkit.Load {
	l := appkit.Load{Rate: o.rate, Limit: o.limit, Hold: o.duration}
	if o.tr.hold.Kind != HoldFixed {
		l.Dist = o.tr.hold
	}
	return l
}

// tellApps tells the load-aware apps the current load. It runs without
// o.mu, so an app may call back into the dialer.
func (o *Originator) tellApps() {
	o.mu.Lock()
	load := o.currentLoad()
	var aware []appkit.LoadAware
	for _, g := range o.apps {
		aware = append(aware, g.aware...)
	}
	o.mu.Unlock()
	for _, a := range aware {
		a.LoadChanged(load)
	}
}
