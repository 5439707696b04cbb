package players

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

func init() { app.MustRegister(&MutedPlayRec{}) }

// MutedPlayRec plays the clip on both legs at once with the callee's
// sending muted (uuid_audio ... write mute); each time the caller's play
// ends the mute swaps to the other leg and both play again, for
// Iterations plays (at least 2, so each leg is heard), then it hangs the
// call up. One call in RecPeriod is recorded on both legs, each
// recording what its leg hears: the peer's clip while the peer is
// unmuted, silence while it is muted. Silence shorter than a clip and its
// hand-over is not a dropout here.
type MutedPlayRec struct {
	Clip       string        `param:"clip" help:"file or tone_stream URL to play (default: the test signal)"`
	ClipLen    time.Duration `param:"clip_len" help:"length of a clip of your own"`
	Iterations int           `param:"iterations" help:"plays per call, the mute swapping each time (0: as many as the hold time allows; at least 2)"`
	RecPeriod  int           `param:"rec_period" help:"record and check one call in N (0 none, 1 all)"`
	Dir        string        `param:"dir" help:"recording directory on the server (default: the system temp dir)"`
	ReadDir    string        `param:"readdir" help:"the same directory as switchio sees it, when mounted elsewhere"`
	Keep       bool          `param:"keep" help:"keep the recordings"`

	clip clip
	hold atomic.Int64
	rec  audiocheck.Recorder
}

// Description implements app.Describer.
func (m *MutedPlayRec) Description() string {
	return "Plays the clip on both legs with one muted, swapping the mute at each play's end, then hangs up; " +
		"rec_period=N records what each leg hears and checks it (a muted far end gives silence: audio_ok false)."
}

// Verdicts implements measure.Verdicter.
func (m *MutedPlayRec) Verdicts() []measure.VerdictSpec {
	if m.RecPeriod <= 0 {
		return nil
	}
	return audiocheck.Verdicts()
}

// LoadChanged implements app.LoadAware.
func (m *MutedPlayRec) LoadChanged(l app.Load) { m.hold.Store(int64(l.Hold)) }

// MaxHold implements app.SelfEnding.
func (m *MutedPlayRec) MaxHold(hold time.Duration) time.Duration {
	length := m.ClipLen
	if m.Clip == "" {
		length = audio.TestSignal.Duration()
	}
	return time.Duration(iterations(m.Iterations, hold, length, 2)+1)*length + 2*time.Second
}

// Setup implements cluster.App.
func (m *MutedPlayRec) Setup(ctx context.Context, r *cluster.Registrar) error {
	c, err := clipOf(m.Clip, m.ClipLen)
	if err != nil {
		return fmt.Errorf("MutedPlayRec: %w", err)
	}
	if m.Iterations < 0 || m.RecPeriod < 0 {
		return fmt.Errorf("MutedPlayRec: iterations and rec_period must be 0 or more")
	}
	m.clip = c
	m.rec = audiocheck.Recorder{Every: m.RecPeriod, Dir: m.Dir, ReadDir: m.ReadDir, Keep: m.Keep, ReadOnly: true,
		Expect: audio.Expect{Signal: c.signal, MaxGap: c.length + 500*time.Millisecond}}
	if err := m.rec.Setup(r); err != nil {
		return fmt.Errorf("MutedPlayRec: %w", err)
	}
	r.On("CHANNEL_PARK", answerInbound)
	r.On("CHANNEL_ANSWER", m.answered)
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
	n := iterations(m.Iterations, time.Duration(m.hold.Load()), m.clip.length, 2)
	call.SetVar(varLeft, strconv.Itoa(n))
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

// Teardown implements cluster.Teardowner.
func (m *MutedPlayRec) Teardown(ctx context.Context, c *cluster.Client) error {
	m.rec.Wait()
	return nil
}
