// Package tone provides TonePlay, switchio's simplest call-testing app: the
// called leg is answered and echoes, the calling leg plays a tone, so every
// call carries audio both ways with no media files.
package tone

import (
	"context"
	"fmt"

	"github.com/switchio/switchio/app"
	"github.com/switchio/switchio/cluster"
)

func init() { app.MustRegister(&TonePlay{Freq: 1004}) }

// TonePlay answers a parked inbound leg and makes it echo; when the
// outbound leg is answered it plays an endless tone of Freq Hz.
type TonePlay struct {
	// Freq is the tone frequency in Hz.
	Freq int `param:"freq"`
}

// Description implements app.Describer.
func (t *TonePlay) Description() string {
	return "Answers the called leg and echoes; the calling leg plays an endless tone (default 1004 Hz)."
}

// ToneStream returns the tone_stream URL the outbound leg plays.
func (t *TonePlay) ToneStream() string {
	return fmt.Sprintf("tone_stream://%%(251,0,%d)", t.Freq)
}

// Setup implements cluster.App.
func (t *TonePlay) Setup(ctx context.Context, r *cluster.Registrar) error {
	if t.Freq <= 0 || t.Freq > 20000 {
		return fmt.Errorf("tone: freq %d Hz out of range 1..20000", t.Freq)
	}
	r.On("CHANNEL_PARK", func(ctx context.Context, ev *cluster.Event) {
		if s := ev.Session; s != nil && s.IsInbound() && !s.Answered() {
			_ = s.Queue().Answer()
		}
	})
	r.On("CHANNEL_ANSWER", func(ctx context.Context, ev *cluster.Event) {
		s := ev.Session
		if s == nil {
			return
		}
		if s.IsInbound() {
			_ = s.Queue().Echo()
			return
		}
		_ = s.Queue().Playback(cluster.PlaybackOptions{Params: map[string]string{"loops": "-1"}}, t.ToneStream())
	})
	return nil
}
