package tone_test

import (
	"math"
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// TonePlay/record=N records one call in N on the called leg (what it
// hears, RECORD_READ_ONLY) and checks the tone: on a clean server every
// recorded call is good; audio loss gives dropouts, counted; a muted far
// end gives silence and a failed check. The outcome stays completed.
func TestTonePlayRecordChecks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		imp      fsemu.Impairments
		ok       bool
		dropouts bool
		reason   string
		noRTP    string // the RTP check's no_rtp on every call
	}{
		{"clean", fsemu.Impairments{}, true, false, "", ""},
		{"loss", fsemu.Impairments{AudioLoss: 0.1, LossBurst: 100 * time.Millisecond}, false, true, "dropout", ""},
		{"muted", fsemu.Impairments{Mute: 1}, false, false, "silent", "caller,callee"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: "TonePlay/record=2,dir=" + t.TempDir(), Calls: 8,
				Hold: 2 * time.Second, Server: fsemu.Config{Impairments: tc.imp}})
			checked := 0
			for _, r := range res.Records {
				if r.Outcome != "completed" {
					t.Errorf("call %s: outcome %s", r.CallID, r.Outcome)
				}
				// every call gets the RTP check, recorded or not
				if rtpOK, set := dialtest.Bool(r, measure.VerdictRTPOK); !set || rtpOK != (tc.noRTP == "") ||
					dialtest.String(r, measure.VerdictNoRTP) != tc.noRTP {
					t.Errorf("call %s: rtp_ok %v (set %v), no_rtp %q; want no_rtp %q", r.CallID, rtpOK, set,
						dialtest.String(r, measure.VerdictNoRTP), tc.noRTP)
				}
				ok, set := dialtest.Bool(r, audiocheck.VerdictAudioOK)
				if !set {
					if len(r.Verdicts) != 2 {
						t.Errorf("unrecorded call with verdicts %v, want only the RTP check's", r.Verdicts)
					}
					continue
				}
				checked++
				drop, _ := dialtest.Int(r, audiocheck.VerdictDropouts)
				reason := dialtest.String(r, audiocheck.VerdictReason)
				if ok != tc.ok || (drop > 0) != tc.dropouts || tc.reason != "" && !contains(reason, tc.reason) {
					t.Errorf("call %s: audio_ok %v, dropouts %d, reason %q", r.CallID, ok, drop, reason)
				}
				if tc.name == "clean" {
					hz := r.Verdicts[audiocheck.VerdictToneHz].Float
					if hz == nil || math.Abs(*hz-1004) > 5 {
						t.Errorf("tone_hz %v, want 1004", hz)
					}
				}
			}
			if checked != 4 {
				t.Fatalf("%d calls checked, want 4 (one in 2 of 8)", checked)
			}
			// all 8 calls are checked (RTP); failed: the 4 recorded
			// ones whose tone was lost, or all 8 when no RTP came
			m := res.Summary.Metrics
			wantFailed := uint64(0)
			switch {
			case tc.noRTP != "":
				wantFailed = 8
			case !tc.ok:
				wantFailed = 4
			}
			if m.MediaChecked != 8 || m.MediaFailed != wantFailed {
				t.Errorf("media checked %d, failed %d; want 8, %d", m.MediaChecked, m.MediaFailed, wantFailed)
			}
		})
	}
}

func contains(s, sub string) bool { return len(sub) == 0 || len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// The server's audio impairments show in the call-detail RTP figures of
// the leg that hears them, as switch_rtp.c counts them: loss bursts are
// flaws and lower the MOS; a muted call receives no media at all.
func TestImpairedRTPFigures(t *testing.T) {
	for _, tc := range []struct {
		name string
		imp  fsemu.Impairments
		want func(r *measure.RTP) bool
	}{
		{"clean", fsemu.Impairments{}, func(r *measure.RTP) bool { return r.InFlaws == 0 && r.MOS != nil && *r.MOS > 4.4 }},
		{"loss", fsemu.Impairments{AudioLoss: 0.1}, func(r *measure.RTP) bool { return r.InFlaws > 5 && r.MOS != nil && *r.MOS < 4.4 }},
		{"muted", fsemu.Impairments{Mute: 1}, func(r *measure.RTP) bool { return r.InPackets == 0 && r.InFlaws == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: "TonePlay", Calls: 3, Hold: 2 * time.Second,
				Server: fsemu.Config{Impairments: tc.imp}})
			for _, r := range res.Records {
				if r.CalleeRTP == nil || !tc.want(r.CalleeRTP) {
					t.Errorf("call %s: callee RTP %+v (mos %v)", r.CallID, r.CalleeRTP, mosOf(r.CalleeRTP))
				}
			}
		})
	}
}

func mosOf(r *measure.RTP) any {
	if r == nil || r.MOS == nil {
		return nil
	}
	return *r.MOS
}
