package players

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// Player holds what PlayRec and MutedPlayRec share: their clip, plays,
// recordings and hooks. Its exported fields are both apps' parameters.
type Player struct {
	Clip    string        `param:"clip" help:"file or tone_stream URL to play (default: the test signal, tones switchio verifies)"`
	ClipLen time.Duration `param:"clip_len" help:"length of a clip of your own"`
	// Iterations is the number of plays per call (0: the hold time over
	// the clip's length, at least 2).
	Iterations int `param:"iterations" help:"plays per call (0: as many as the hold time allows, at least 2)"`
	// RecPeriod records one call every RecPeriod, as switchio's
	// rec_period (seconds) did; RecEvery, when set, one call in N
	// instead.
	RecPeriod time.Duration `param:"rec_period" help:"record and check one call every this long (seconds or a duration; 0 with rec_every=0: none)"`
	RecEvery  int           `param:"rec_every" help:"record and check one call in N instead of one per rec_period (1: every call)"`
	// RecStereo records what each leg hears (left) and sends (right) on
	// two channels, as switchio's rec_stereo; the check reads the left.
	// Otherwise each leg's recording holds only what it hears.
	RecStereo bool   `param:"rec_stereo" help:"record both directions, heard left and sent right (the check reads what is heard)"`
	Dir       string `param:"dir" help:"recording directory on the server (default: the system temp dir)"`
	ReadDir   string `param:"readdir" help:"the same directory as switchio sees it, when mounted elsewhere"`
	Keep      bool   `param:"keep" help:"keep the recordings (paths in the recordings verdict)"`

	clip clip
	hold atomic.Int64
	rec  audiocheck.Recorder
}

// DefaultRecPeriod is rec_period's default: one call recorded and
// checked every 5 s, as in switchio.
const DefaultRecPeriod = 5 * time.Second

// Verdicts implements measure.Verdicter.
func (p *Player) Verdicts() []measure.VerdictSpec {
	if p.RecPeriod <= 0 && p.RecEvery <= 0 {
		return nil
	}
	return audiocheck.Verdicts()
}

// LoadChanged implements appkit.LoadAware: the hold time sets the plays.
func (p *Player) LoadChanged(l appkit.Load) { p.hold.Store(int64(l.Hold)) }

// MaxHold implements appkit.SelfEnding: the plays, one more, and 2 s.
func (p *Player) MaxHold(hold time.Duration) time.Duration {
	length := p.clipLen()
	return time.Duration(iterations(p.Iterations, hold, length)+1)*length + 2*time.Second
}

func (p *Player) clipLen() time.Duration {
	c, _ := clipOf(p.Clip, p.ClipLen)
	return c.length
}

// plays is the number of plays of a call answered now.
func (p *Player) plays() int {
	return iterations(p.Iterations, time.Duration(p.hold.Load()), p.clip.length)
}

// setup resolves the clip and starts the recorder.
//
// Each leg's recording is checked for what it hears: its peer's plays,
// one pass of the clip each, with its own play's length of silence
// between them (audio.Expect.Pause). What a leg sends is not checked,
// and a mono recording never mixes it in: FreeSWITCH's media bug mixes
// the write stream with the read stream frame by frame as the frames
// come (switch_core_media_bug_read, switch_core_media_bug.c), so a leg
// that hears its peer late (its read stream behind its write stream, as
// the called leg of capture 21 does by ~470 ms) gets its own play mixed
// over the end of its peer's and a silence as long as the lag after it:
// dropouts in a recording of a clean call.
func (p *Player) setup(ctx context.Context, r *cluster.Registrar, onInfo func(RecInfo), maxGap time.Duration) error {
	c, err := clipOf(p.Clip, p.ClipLen)
	if err != nil {
		return err
	}
	if p.Iterations < 0 || p.RecPeriod < 0 || p.RecEvery < 0 {
		return errNegative
	}
	p.clip = c
	e := audio.Expect{Signal: c.signal, MaxGap: maxGap, Pause: c.length + 2*handOver}
	if c.signal == nil {
		// Without a known signal no gap is designed: the silence of the
		// leg's own play must pass as one.
		e = audio.Expect{MaxGap: c.length + 2*handOver + maxGap}
	}
	p.rec = audiocheck.Recorder{Every: p.RecEvery, Period: p.RecPeriod, Dir: p.Dir, ReadDir: p.ReadDir, Keep: p.Keep,
		ReadOnly: !p.RecStereo, Stereo: p.RecStereo, OnInfo: onInfo, Expect: e}
	return p.rec.Setup(ctx, r)
}

// Teardown implements cluster.Teardowner: it waits for the checks in
// progress.
func (p *Player) Teardown(ctx context.Context, c *cluster.Client) error {
	p.rec.Wait()
	return nil
}

// clip is what a player plays: a URL and its length.
type clip struct {
	url    string
	length time.Duration
	signal audio.Signal // known content (nil for a user's file)
}

// clipOf resolves a player's clip parameters.
func clipOf(url string, length time.Duration) (clip, error) {
	if url == "" {
		sig := audio.TestSignal()
		return clip{url: sig.ToneStream(), length: sig.Duration(), signal: sig}, nil
	}
	if length <= 0 {
		return clip{}, errClipLen
	}
	return clip{url: url, length: length}, nil
}

// iterations is n when set, else how many plays of length fit in hold,
// at least 2 (so each leg plays, or is heard, once).
func iterations(n int, hold, length time.Duration) int {
	if n > 0 {
		return n
	}
	if hold <= 0 || length <= 0 {
		return 2
	}
	return max(int(hold/length), 2)
}

// countdown decrements the call's iterations left and returns them.
func countdown(c *cluster.Call) int {
	v := c.UpdateVar(varLeft, func(old string) string {
		n, _ := strconv.Atoi(old)
		return strconv.Itoa(n - 1)
	})
	n, _ := strconv.Atoi(v)
	return n
}

// varLeft is the call variable holding a player's iterations left.
const varLeft = "switchio.players.left"
