package script_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/measure"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), the script apps do
// what they do on fsemu: TonePlay's calls carry RTP both ways, the DTMF
// port gets every digit, and the IVR walk's caller hears the reply tone
// once the called side has its PIN. The IVR walk's caller sends its PIN
// when the called leg's PLAYBACK_STOP for the prompt arrives (capture 06
// holds the real server's PLAYBACK_STOP as a tone_stream ends).
func TestRealScriptApps(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	for _, tc := range []struct {
		file, params string
		hold         time.Duration
		checks       []string
	}{
		{"tone.star", "", 3 * time.Second, []string{measure.VerdictRTPOK}},
		{"dtmf.star", "digits=1234,duration_ms=100", 6 * time.Second, []string{"dtmf_ok"}},
		{"ivr.star", "pin=4321", 8 * time.Second, []string{"ivr_pin_ok", audiocheck.VerdictAudioOK, measure.VerdictRTPOK}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			a := loadApp(t, tc.file, tc.params)
			res := dialtest.Run(t, dialtest.Options{Real: real, App: a, Calls: 4, Rate: 2, Hold: tc.hold, Timeout: 2 * time.Minute})
			for _, check := range tc.checks {
				dialtest.PassAll(t, res, 4, check)
			}
			if a.Errors() != 0 {
				t.Errorf("%d script errors", a.Errors())
			}
		})
	}
}
