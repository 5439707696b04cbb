package appkit

import (
	"context"

	"github.com/switchio/switchio/cluster"
)

// CalledLeg returns the event's session when it is an inbound leg not
// yet answered: the called leg of a test call, parked by the dialplan
// and waiting for an app to answer, reject, ring or bridge it. Otherwise
// it returns nil.
func CalledLeg(ev *cluster.Event) *cluster.Session {
	if s := ev.Session; s != nil && s.IsInbound() && !s.Answered() {
		return s
	}
	return nil
}

// AnswerCalledLeg is a CHANNEL_PARK handler that answers the called leg
// (see CalledLeg), as the call-testing apps do before they test it.
func AnswerCalledLeg(ctx context.Context, ev *cluster.Event) {
	if s := CalledLeg(ev); s != nil {
		_ = s.Queue().Answer()
	}
}
