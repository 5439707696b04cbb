package script_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// The IVR walk on fsemu: the caller waits for the prompt to end, sends
// its PIN; the called side checks it and answers with the tone the
// caller's recording must hold. With every digit dropped the PIN never
// arrives: ivr_pin_ok is false, no reply tone is played and the caller's
// audio check fails.
func TestIVRWalk(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	for _, tc := range []struct {
		name   string
		params string
		imp    fsemu.Impairments
		pinOK  bool
	}{
		{"right PIN", "pin=4321", fsemu.Impairments{}, true},
		{"digits lost", "pin=4321", fsemu.Impairments{DTMFDrop: 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := loadApp(t, "ivr.star", tc.params)
			res := dialtest.Run(t, dialtest.Options{App: a, Calls: 4, Hold: 5 * time.Second, Timeout: time.Minute,
				Server: fsemu.Config{Impairments: tc.imp}})
			if res.Summary.Completed != 4 || len(res.Records) != 4 {
				t.Fatalf("completed %d, %d records", res.Summary.Completed, len(res.Records))
			}
			for _, r := range res.Records {
				pinOK, set := dialtest.Bool(r, "ivr_pin_ok")
				audioOK, audioSet := dialtest.Bool(r, audiocheck.VerdictAudioOK)
				if !set || pinOK != tc.pinOK || !audioSet || audioOK != tc.pinOK {
					t.Errorf("call %d: ivr_pin %q ivr_pin_ok %v/%v audio_ok %v/%v (tone %.0f Hz, reason %q, script error %q); want pin and audio %v",
						r.Seq, dialtest.String(r, "ivr_pin"), pinOK, set, audioOK, audioSet, tone(r),
						dialtest.String(r, audiocheck.VerdictReason), dialtest.String(r, "script_error"), tc.pinOK)
				}
			}
			if a.Errors() != 0 {
				t.Errorf("%d script errors", a.Errors())
			}
		})
	}
}

// tone is the dominant frequency the caller heard (0: none).
func tone(r measure.Record) float64 {
	if v := r.Verdicts[audiocheck.VerdictToneHz]; v.Float != nil {
		return *v.Float
	}
	return 0
}
