package tone_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/measure"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), every call of
// TonePlay recording every call hears the tone: audio_ok on each.
func TestRealTonePlay(t *testing.T) {
	dialtest.RealCheck(t, "TonePlay/record=1", 4, 3*time.Second, audiocheck.VerdictAudioOK)
}

// On a real FreeSWITCH, TonePlay's audio flows both ways on every call,
// whatever the far end does before it answers: answer500 answers from
// the dialplan after 500 ms (27 of 40 calls had no RTP either way when
// the tone was started at the caller's CHANNEL_ANSWER, still inside its
// originate), ring2000 rings then parks for switchio to answer, and the
// default parks at once. Checked without recording, by the RTP check
// (rtp_ok on each call).
func TestRealTonePlayAudioFlows(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	for _, dest := range []string{"answer500", "ring2000", ""} {
		t.Run("dest="+dest, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "TonePlay", Dest: dest, Calls: 20, Rate: 10,
				Hold: 2 * time.Second, Timeout: time.Minute})
			dialtest.PassAll(t, res, 20, measure.VerdictRTPOK)
		})
	}
}

// On two real FreeSWITCH servers, calls to a far end switchio does not
// watch (the second server's dialplan answers and parks: nothing echoes)
// leave the caller without RTP: rtp_ok false, no_rtp "caller", with no
// recording.
func TestRealNoRTPVerdict(t *testing.T) {
	real := dialtest.RealServers(t, 2)
	sip := real.SIPAddr(t, 1, "external")
	one := &dialtest.Real{Addrs: real.Addrs[:1], Password: real.Password}
	res := dialtest.Run(t, dialtest.Options{Real: one, Spec: "TonePlay", Dest: "answer0@" + sip, Calls: 4, Rate: 4,
		Hold: 2 * time.Second, Timeout: time.Minute})
	for _, r := range res.Records {
		ok, set := dialtest.Bool(r, measure.VerdictRTPOK)
		if r.Outcome != "completed" || !set || ok || dialtest.String(r, measure.VerdictNoRTP) != "caller" {
			t.Errorf("call %s: %s, rtp_ok %v (set %v), no_rtp %q; want completed, false, caller", r.CallID, r.Outcome,
				ok, set, dialtest.String(r, measure.VerdictNoRTP))
		}
	}
	if m := res.Summary.Metrics; m.MediaFailed != uint64(len(res.Records)) {
		t.Errorf("media_failed %d of %d calls", m.MediaFailed, len(res.Records))
	}
}
