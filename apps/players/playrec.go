package players

import (
	"context"
	"errors"
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

func init() { app.MustRegister(&PlayRec{MaxGap: 150 * time.Millisecond}) }

var errClipLen = errors.New("clip_len must be given with a clip of your own")

// RecInfo names the recordings of one call: the server and the caller's
// and callee's files.
type RecInfo = audiocheck.RecInfo

// PlayRec plays a clip back and forth between the legs of a call: the
// caller plays it, then the callee, and so on for Iterations plays (or as
// many as the dialer's hold time allows), then hangs the call up. One
// call in RecPeriod is recorded on both legs (both directions mixed, as
// record_session does by default) and checked.
type PlayRec struct {
	Clip    string        `param:"clip" help:"file or tone_stream URL to play (default: the test signal, tones switchio verifies)"`
	ClipLen time.Duration `param:"clip_len" help:"length of a clip of your own"`
	// Iterations is the number of plays per call (0: the hold time over
	// the clip's length, at least 2).
	Iterations int           `param:"iterations" help:"plays per call, alternating legs (0: as many as the hold time allows)"`
	RecPeriod  int           `param:"rec_period" help:"record and check one call in N (0 none, 1 all)"`
	Dir        string        `param:"dir" help:"recording directory on the server (default: the system temp dir)"`
	ReadDir    string        `param:"readdir" help:"the same directory as switchio sees it, when mounted elsewhere"`
	Keep       bool          `param:"keep" help:"keep the recordings (paths in the recordings verdict)"`
	MaxGap     time.Duration `param:"max_gap" help:"longest silence not counted as a dropout (a play's hand-over takes a round trip)"`

	// OnRecInfo, when set, is told of each recorded call's files.
	OnRecInfo func(RecInfo) `param:"-"`

	clip clip
	hold atomic.Int64
	rec  audiocheck.Recorder
}

// Description implements app.Describer.
func (p *PlayRec) Description() string {
	return "Plays a clip back and forth between the legs (default: a tone sequence switchio verifies), then hangs up; " +
		"rec_period=N records one call in N on both legs and checks it: audio_ok, sequence_ok, dropouts."
}

// Verdicts implements measure.Verdicter.
func (p *PlayRec) Verdicts() []measure.VerdictSpec {
	if p.RecPeriod <= 0 {
		return nil
	}
	return audiocheck.Verdicts()
}

// LoadChanged implements app.LoadAware: the hold time sets the plays.
func (p *PlayRec) LoadChanged(l app.Load) { p.hold.Store(int64(l.Hold)) }

// MaxHold implements app.SelfEnding.
func (p *PlayRec) MaxHold(hold time.Duration) time.Duration {
	length := p.clipLen()
	n := iterations(p.Iterations, hold, length, 2)
	return time.Duration(n+1)*length + 2*time.Second
}

func (p *PlayRec) clipLen() time.Duration {
	if p.Clip == "" {
		return audio.TestSignal.Duration()
	}
	return p.ClipLen
}

// Setup implements cluster.App.
func (p *PlayRec) Setup(ctx context.Context, r *cluster.Registrar) error {
	c, err := clipOf(p.Clip, p.ClipLen)
	if err != nil {
		return fmt.Errorf("PlayRec: %w", err)
	}
	if p.Iterations < 0 || p.RecPeriod < 0 || p.MaxGap <= 0 {
		return fmt.Errorf("PlayRec: iterations and rec_period must be 0 or more, max_gap positive")
	}
	p.clip = c
	p.rec = audiocheck.Recorder{Every: p.RecPeriod, Dir: p.Dir, ReadDir: p.ReadDir, Keep: p.Keep, OnInfo: p.OnRecInfo,
		Expect: audio.Expect{Signal: c.signal, MaxGap: p.MaxGap}}
	if err := p.rec.Setup(r); err != nil {
		return fmt.Errorf("PlayRec: %w", err)
	}
	r.On("CHANNEL_PARK", answerInbound)
	r.On("CHANNEL_ANSWER", p.answered)
	r.On("PLAYBACK_STOP", p.played)
	return nil
}

// answered starts a call's plays at the caller's answer.
func (p *PlayRec) answered(ctx context.Context, ev *cluster.Event) {
	s, call := ev.Session, ev.Call()
	if s == nil || call == nil || !s.IsOutbound() {
		return
	}
	n := iterations(p.Iterations, time.Duration(p.hold.Load()), p.clip.length, 2)
	call.SetVar(varLeft, strconv.Itoa(n))
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

// Teardown implements cluster.Teardowner: it waits for the checks in
// progress.
func (p *PlayRec) Teardown(ctx context.Context, c *cluster.Client) error {
	p.rec.Wait()
	return nil
}

// answerInbound answers a parked inbound leg (the callee).
func answerInbound(ctx context.Context, ev *cluster.Event) {
	if s := ev.Session; s != nil && s.IsInbound() && !s.Answered() {
		_ = s.Queue().Answer()
	}
}

// endCall ends a player's call as planned: the first leg (the caller)
// is hung up, which ends the others.
func endCall(call *cluster.Call) {
	app.MarkCompleted(call)
	if first := call.First(); first != nil {
		_ = first.Queue().Hangup("NORMAL_CLEARING")
	}
}
