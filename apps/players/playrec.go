package players

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// DefaultMaxGap is the longest silence a player's check does not count
// as a dropout, besides the designed ones: three lost 20 ms packets
// pass, a 100 ms burst does not. Clean calls on a real FreeSWITCH show
// gaps up to 60 ms (40 calls, build.sh's server).
const DefaultMaxGap = 80 * time.Millisecond

// handOver bounds the time between one play's end and the next one's
// start: PLAYBACK_STOP to switchio and its command back (~20 ms on
// loopback, capture 21). A leg's pause between the plays it hears is
// its own play and two hand-overs.
const handOver = 100 * time.Millisecond

var (
	errClipLen  = errors.New("clip_len must be given with a clip of your own")
	errNegative = errors.New("iterations, rec_period and rec_every must be 0 or more")
)

// RecInfo names the recordings of one call: the server and the caller's
// and callee's files.
type RecInfo = audiocheck.RecInfo

// PlayRec plays a clip back and forth between the legs of a call: the
// caller plays it, then the callee, and so on for Iterations plays (or as
// many as the dialer's hold time allows), then hangs the call up. One
// call every RecPeriod (or one in RecEvery) is recorded on both legs and
// checked: each leg must hear its peer's plays, in order, without
// dropouts.
type PlayRec struct {
	Player
	MaxGap time.Duration `param:"max_gap" help:"longest silence not counted as a dropout, besides the pause of a leg's own play"`

	// OnRecInfo, when set, is told of each recorded call's files.
	OnRecInfo func(RecInfo) `param:"-"`
}

// Description implements appkit.Describer.
func (p *PlayRec) Description() string {
	return "Plays a clip back and forth between the legs (default: a tone sequence switchio verifies), then hangs up; " +
		"one call every rec_period (default 5 s; rec_every=N: one in N) is recorded on both legs and checked: each must hear the other's plays (audio_ok, sequence_ok, dropouts)."
}

// ReceivingLegs implements measure.AudioReceiver: each leg hears the
// other's clip.
func (p *PlayRec) ReceivingLegs() measure.Legs { return measure.BothLegs }

// Setup implements cluster.App.
func (p *PlayRec) Setup(ctx context.Context, r *cluster.Registrar) error {
	if p.MaxGap <= 0 {
		return fmt.Errorf("PlayRec: max_gap %s must be positive", p.MaxGap)
	}
	err := p.setup(ctx, r, p.OnRecInfo, p.MaxGap)
	if err != nil {
		return fmt.Errorf("PlayRec: %w", err)
	}
	r.On("CHANNEL_PARK", appkit.AnswerCalledLeg)
	appkit.OnMediaReady(r, p.answered)
	r.On("PLAYBACK_STOP", p.played)
	return nil
}

// answered starts a call's plays at the caller's answer.
func (p *PlayRec) answered(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsOutbound() {
		return
	}
	call.SetVar(varLeft, strconv.Itoa(p.plays()))
	if p.rec.Pick() {
		_ = p.rec.Start(s, "caller")
		if peer := call.Peer(s); peer != nil {
			_ = p.rec.Start(peer, "callee")
		}
	}
	_ = s.Queue().Playback(cluster.PlaybackOptions{}, p.clip.url)
}

// played hands the clip to the other leg, or ends the call after the
// last play.
func (p *PlayRec) played(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || ev.Get("Playback-File-Path") != p.clip.url || s.HungUp() {
		return
	}
	if countdown(call) > 0 {
		if peer := call.Peer(s); peer != nil && !peer.HungUp() {
			_ = peer.Queue().Playback(cluster.PlaybackOptions{}, p.clip.url)
			return
		}
	}
	endCall(call)
}

// endCall ends a player's call as planned: the first leg (the caller)
// is hung up, which ends the others.
func endCall(call *cluster.Call) {
	appkit.MarkCompleted(call)
	if first := call.First(); first != nil {
		_ = first.Queue().Hangup("NORMAL_CLEARING")
	}
}
