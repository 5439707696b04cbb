package appkit

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/cluster"
)

// ParkGuard makes the server itself hang up the inbound calls parked for
// the apps of its app id, After their park, whatever becomes of switchio:
// at each such CHANNEL_PARK it schedules "sched_hangup +After <uuid>
// Cause" on the server (FreeSWITCH's scheduler, the channel's uuid as the
// task group). Without it a call parked by switchio serve or a Router
// stays up for ever when the controller dies (switchio's issue #47: a
// parked channel has no timeout of its own, and park_timeout is read
// only when park starts, in the dialplan). Load it first under the app id
// of the apps whose calls it guards, with After above their longest call;
// an app that keeps a call longer can clear the guard with "sched_del
// <uuid>". switchio serve loads one (--park-guard, default 1 h).
type ParkGuard struct {
	// After is how long a parked call may stay up (default DefaultParkGuard).
	After time.Duration `param:"after" help:"how long a parked call may stay up before the server hangs it up"`
	// Cause is the guard's hang-up cause (default ALLOTTED_TIMEOUT).
	Cause string `param:"cause" help:"hang-up cause of the guard"`
}

// DefaultParkGuard is ParkGuard's default After.
const DefaultParkGuard = time.Hour

// AppName implements cluster.Namer.
func (g *ParkGuard) AppName() string { return "ParkGuard" }

// Description implements Describer.
func (g *ParkGuard) Description() string {
	return "Has the server hang up inbound calls parked for this app id after a time, even when switchio is gone (sched_hangup at park)."
}

// Setup implements cluster.App.
func (g *ParkGuard) Setup(ctx context.Context, r *cluster.Registrar) error {
	after, cause := g.After, g.Cause
	if after == 0 {
		after = DefaultParkGuard
	}
	if after < time.Second {
		return fmt.Errorf("ParkGuard: after %s: the server's scheduler counts whole seconds", after)
	}
	if cause == "" {
		cause = "ALLOTTED_TIMEOUT"
	}
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil || !s.IsInbound() || s.Var(varParkGuard) != "" {
			return // placed by the server, or guarded at an earlier park
		}
		s.SetLocal(varParkGuard, "1")
		_ = s.Queue().SchedHangup(after, cause)
	})
	return nil
}

// varParkGuard marks a session whose guard is scheduled.
const varParkGuard = "switchio_park_guard"
