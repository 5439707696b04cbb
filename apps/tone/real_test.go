package tone_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), every call of
// TonePlay recording every call hears the tone: audio_ok on each.
func TestRealTonePlay(t *testing.T) {
	dialtest.RealCheck(t, "TonePlay/record=1", 4, 3*time.Second, audiocheck.VerdictAudioOK)
}
