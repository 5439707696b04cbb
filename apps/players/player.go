package players

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/switchio/switchio/app"
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
	Iterations int    `param:"iterations" help:"plays per call (0: as many as the hold time allows, at least 2)"`
	RecPeriod  int    `param:"rec_period" help:"record and check one call in N (0 none, 1 all)"`
	Dir        string `param:"dir" help:"recording directory on the server (default: the system temp dir)"`
	ReadDir    string `param:"readdir" help:"the same directory as switchio sees it, when mounted elsewhere"`
	Keep       bool   `param:"keep" help:"keep the recordings (paths in the recordings verdict)"`

	clip clip
	hold atomic.Int64
	rec  audiocheck.Recorder
}

// Verdicts implements measure.Verdicter.
func (p *Player) Verdicts() []measure.VerdictSpec {
	if p.RecPeriod <= 0 {
		return nil
	}
	return audiocheck.Verdicts()
}

// LoadChanged implements app.LoadAware: the hold time sets the plays.
func (p *Player) LoadChanged(l app.Load) { p.hold.Store(int64(l.Hold)) }

// MaxHold implements app.SelfEnding: the plays, one more, and 2 s.
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

// setup resolves the clip and starts the recorder with an expectation
// built from it.
func (p *Player) setup(r *cluster.Registrar, readOnly bool, onInfo func(RecInfo), expect func(clip) audio.Expect) error {
	c, err := clipOf(p.Clip, p.ClipLen)
	if err != nil {
		return err
	}
	if p.Iterations < 0 || p.RecPeriod < 0 {
		return errNegative
	}
	p.clip = c
	p.rec = audiocheck.Recorder{Every: p.RecPeriod, Dir: p.Dir, ReadDir: p.ReadDir, Keep: p.Keep, ReadOnly: readOnly,
		OnInfo: onInfo, Expect: expect(c)}
	return p.rec.Setup(r)
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
		return clip{url: audio.TestSignal.ToneStream(), length: audio.TestSignal.Duration(), signal: audio.TestSignal}, nil
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
