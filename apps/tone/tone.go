// Package tone provides TonePlay, switchio's simplest call-testing app: the
// called leg is answered and echoes, the calling leg plays a tone, so every
// call carries audio both ways with no media files. With record=N one
// call in N is recorded on the called leg and checked: did the tone
// arrive, at what level, with dropouts or not (see apps/audiocheck).
package tone

import (
	"context"
	"fmt"
	"time"

	"github.com/switchio/switchio/appkit"
	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/audio"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/measure"
)

// TonePlay answers a parked inbound leg and makes it echo; when the
// outbound leg is answered it plays an endless tone of Freq Hz.
type TonePlay struct {
	// Freq is the tone frequency in Hz.
	Freq int `param:"freq" help:"tone frequency, Hz"`
	// Record records one call in Record on the called leg (what it
	// hears) and checks the tone arrived (0: none, 1: every call).
	Record int `param:"record" help:"record and check one call in N (0 none, 1 all)"`
	// Dir is where the server writes recordings; ReadDir where switchio
	// reads them (a shared mount; default Dir).
	Dir     string `param:"dir" help:"recording directory on the server (default: the system temp dir)"`
	ReadDir string `param:"readdir" help:"the same directory as switchio sees it, when mounted elsewhere"`
	// Keep keeps the recordings; otherwise each is removed once checked.
	Keep bool `param:"keep" help:"keep the recordings (paths in the recordings verdict)"`
	// MaxGap is the longest silence in the tone not counted as a dropout
	// (0: audio.DefaultMaxGap, 40 ms).
	MaxGap time.Duration `param:"max_gap" help:"longest silence not counted as a dropout"`

	rec audiocheck.Recorder
}

// Description implements appkit.Describer.
func (t *TonePlay) Description() string {
	return "Answers the called leg and echoes; the calling leg plays an endless tone (default 1004 Hz). " +
		"record=N records one call in N on the called leg and checks the tone arrived: audio_ok, tone_hz, level_dbfs, dropouts."
}

// ToneStream returns the tone_stream URL the outbound leg plays.
func (t *TonePlay) ToneStream() string {
	return fmt.Sprintf("tone_stream://%%(251,0,%d)", t.Freq)
}

// Verdicts implements measure.Verdicter: the audio check's columns when
// calls are recorded.
func (t *TonePlay) Verdicts() []measure.VerdictSpec {
	if t.Record <= 0 {
		return nil
	}
	return audiocheck.Verdicts()
}

// Setup implements cluster.App.
func (t *TonePlay) Setup(ctx context.Context, r *cluster.Registrar) error {
	if t.Freq <= 0 || t.Freq > 20000 {
		return fmt.Errorf("tone: freq %d Hz out of range 1..20000", t.Freq)
	}
	if t.MaxGap < 0 {
		return fmt.Errorf("tone: negative max_gap %s", t.MaxGap)
	}
	t.rec = audiocheck.Recorder{Every: t.Record, Dir: t.Dir, ReadDir: t.ReadDir, Keep: t.Keep, ReadOnly: true,
		Expect: audio.Expect{Freq: float64(t.Freq), MaxGap: t.MaxGap}}
	if err := t.rec.Setup(ctx, r); err != nil {
		return fmt.Errorf("tone: %w", err)
	}
	r.On("CHANNEL_PARK", appkit.AnswerCalledLeg)
	appkit.OnMediaReady(r, func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil {
			return
		}
		if s.IsInbound() {
			if t.rec.Pick() {
				_ = t.rec.Start(s, "callee")
			}
			_ = s.Queue().Echo()
			return
		}
		_ = s.Queue().Playback(cluster.PlaybackOptions{Params: map[string]string{"loops": "-1"}}, t.ToneStream())
	})
	return nil
}

// Teardown implements cluster.Teardowner: it waits for the checks of
// recordings in progress.
func (t *TonePlay) Teardown(ctx context.Context, c *cluster.Client) error {
	t.rec.Wait()
	return nil
}

// ReceivingLegs implements measure.AudioReceiver: the callee hears the
// tone, the caller its echo.
func (t *TonePlay) ReceivingLegs() measure.Legs { return measure.BothLegs }
