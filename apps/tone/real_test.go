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
	real := dialtest.RealServers(t, 1)
	res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "TonePlay/record=1", Calls: 4, Rate: 2, Hold: 3 * time.Second,
		Timeout: time.Minute})
	dialtest.PassAll(t, res, 4, audiocheck.VerdictAudioOK)
}
