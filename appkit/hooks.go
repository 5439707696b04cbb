package appkit

import (
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/originate"
)

// Load is the load a dialer offers an app's calls: the settings an app
// may adapt to (switchio's __setrate__, __setlimit__ and __setduration__
// hooks).
type Load struct {
	// Rate is the target rate in calls per second.
	Rate float64
	// Limit is the concurrent call limit.
	Limit int
	// Hold is the hold time given to new calls (their mean hold with a
	// hold distribution).
	Hold time.Duration
	// Dist is the distribution new calls' holds are drawn from (the
	// dialer's --duration-dist); nil when every call is held Hold.
	Dist HoldDistribution
}

// HoldDistribution is a distribution of hold times (dialer.HoldDist).
type HoldDistribution interface {
	// ShareBelow is the share of calls held less than d, 0 to 1.
	ShareBelow(d time.Duration) float64
	// String names the distribution, e.g. "exp:2s".
	String() string
}

// ShareBelow returns the share of new calls held less than d: from Dist,
// or 1 when the fixed Hold is shorter than d (0 when Hold is 0: no hold,
// the calls are not hung up). An app whose check needs d of a call warns
// when it is above 0.
func (l Load) ShareBelow(d time.Duration) float64 {
	switch {
	case l.Dist != nil:
		return l.Dist.ShareBelow(d)
	case l.Hold > 0 && l.Hold < d:
		return 1
	}
	return 0
}

// HoldText describes the hold: "5s" or "exp:2s".
func (l Load) HoldText() string {
	if l.Dist != nil {
		return l.Dist.String()
	}
	return l.Hold.String()
}

// OriginateVarser is implemented by apps whose calls need channel
// variables set on their originate (the calling leg), e.g. a codec or a
// jitter buffer. The dialer adds each one the originate does not set
// already, so the user's own (dial --var, --codec for
// absolute_codec_string) override the app's.
type OriginateVarser interface {
	OriginateVars() []originate.Var
}

// LoadAware is implemented by apps that adapt to the offered load, e.g. a
// player that plays its clip as many times as the hold time allows. A
// dialer calls LoadChanged once when the app is loaded and after every
// change of rate, limit or hold time, from the goroutine that made the
// change (never the event loop). It must not block.
type LoadAware interface {
	LoadChanged(Load)
}

// SelfEnding is implemented by apps that end their calls themselves (a
// player hangs up after its last iteration). A dialer does not hang their
// calls up at the hold time; its server-side guard stays, at
// MaxHold(hold) after the answer (plus its margin), for calls whose app
// never ends them. Such an app marks each call it ends as planned with
// MarkCompleted before hanging it up, so the call counts as completed
// rather than dropped.
type SelfEnding interface {
	MaxHold(hold time.Duration) time.Duration
}

// completedVar is the call variable MarkCompleted sets.
const completedVar = "switchio.app_completed"

// MarkCompleted records that the call's app ends it as planned: called
// before the app hangs the call up.
func MarkCompleted(c *cluster.Call) {
	if c != nil {
		c.SetVar(completedVar, "1")
	}
}

// Completed reports whether the call's app marked it with MarkCompleted.
func Completed(c *cluster.Call) bool { return c != nil && c.Var(completedVar) != "" }
