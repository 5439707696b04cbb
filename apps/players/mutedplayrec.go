package players

import (
	"context"
	"fmt"
	"strconv"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/cluster"
)

// MutedPlayRec plays the clip on both legs at once with the callee's
// sending muted (uuid_audio ... write mute); each time the caller's play
// ends the mute swaps to the other leg and both play again, for
// Iterations plays (at least 2, so each leg is heard), then it hangs the
// call up. One call every RecPeriod (or one in RecEvery) is recorded on
// both legs, each recording what its leg hears: the peer's clip while the
// peer is unmuted, the pause of one clip while it is muted.
type MutedPlayRec struct {
	Player
}

// Description implements appkit.Describer.
func (m *MutedPlayRec) Description() string {
	return "Plays the clip on both legs with one muted, swapping the mute at each play's end, then hangs up; " +
		"one call every rec_period (default 5 s; rec_every=N: one in N) is recorded and what each leg hears checked (a muted far end gives silence: audio_ok false)."
}

// Setup implements cluster.App.
func (m *MutedPlayRec) Setup(ctx context.Context, r *cluster.Registrar) error {
	err := m.setup(ctx, r, nil, DefaultMaxGap)
	if err != nil {
		return fmt.Errorf("MutedPlayRec: %w", err)
	}
	r.On("CHANNEL_PARK", appkit.AnswerCalledLeg)
	appkit.OnMediaReady(r, m.answered)
	r.On("PLAYBACK_STOP", m.played)
	return nil
}

// varMuted names the leg whose sending is muted ("caller" or "callee").
const varMuted = "switchio.players.muted"

func (m *MutedPlayRec) answered(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsOutbound() {
		return
	}
	peer := call.Peer(s)
	if peer == nil {
		return
	}
	call.SetVar(varLeft, strconv.Itoa(m.plays()))
	call.SetVar(varMuted, "callee")
	if m.rec.Pick() {
		_ = m.rec.Start(s, "caller")
		_ = m.rec.Start(peer, "callee")
	}
	_ = peer.Queue().Mute("write")
	m.playBoth(s, peer)
}

func (m *MutedPlayRec) playBoth(caller, callee *cluster.Session) {
	_ = caller.Queue().Playback(cluster.PlaybackOptions{}, m.clip.url)
	_ = callee.Queue().Playback(cluster.PlaybackOptions{}, m.clip.url)
}

// played swaps the mute at the end of the caller's play, or ends the
// call after the last.
func (m *MutedPlayRec) played(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsOutbound() || ev.Get("Playback-File-Path") != m.clip.url || s.HungUp() {
		return
	}
	peer := call.Peer(s)
	if countdown(call) <= 0 || peer == nil || peer.HungUp() {
		endCall(call)
		return
	}
	if call.Var(varMuted) == "callee" {
		_ = peer.Queue().Unmute("write")
		_ = s.Queue().Mute("write")
		call.SetVar(varMuted, "caller")
	} else {
		_ = s.Queue().Unmute("write")
		_ = peer.Queue().Mute("write")
		call.SetVar(varMuted, "callee")
	}
	m.playBoth(s, peer)
}
