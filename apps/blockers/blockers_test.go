package blockers_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/dialer/dialtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// CalleeBlockOnInvite's rejection reaches the dialer as the failed calls'
// cause: a SIP code through sofia's mapping (sofia_glue.c
// sofia_glue_sip_cause_to_freeswitch: 486 USER_BUSY, 603 CALL_REJECTED),
// which fsemu's respond follows; a cause is used as given.
func TestCalleeBlockOnInvite(t *testing.T) {
	for _, tc := range []struct{ spec, cause string }{
		{"CalleeBlockOnInvite", "USER_BUSY"},
		{"CalleeBlockOnInvite/code=603", "CALL_REJECTED"},
		{"CalleeBlockOnInvite/cause=NO_ROUTE_DESTINATION", "NO_ROUTE_DESTINATION"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: tc.spec, Calls: 5})
			sm := res.Summary
			if sm.Failed != 5 || sm.FailedByCause[tc.cause] != 5 {
				t.Fatalf("failed %d by cause %v, want 5 %s", sm.Failed, sm.FailedByCause, tc.cause)
			}
		})
	}
}

// CalleeRingback rings first: plainly (ring_ready, a 180: the caller's
// CHANNEL_PROGRESS, capture 20) or with early media (pre_answer, a 183:
// CHANNEL_PROGRESS_MEDIA, captures 18 and 19), then hangs up with its
// cause or answers; the post-dial delay is the ring time.
func TestCalleeRingback(t *testing.T) {
	for _, tc := range []struct {
		spec           string
		outcome        string
		cause          string
		ringing, early bool
	}{
		{"CalleeRingback/ring=300ms", "failed", "NO_ANSWER", true, false},
		{"CalleeRingback/ring=300ms,cause=USER_BUSY", "failed", "USER_BUSY", true, false},
		{"CalleeRingback/ring=300ms,media=true", "failed", "NO_ANSWER", false, true},
		{"CalleeRingback/ring=300ms,then=answer", "completed", "", true, false},
		{"CalleeRingback/ring=300ms,then=answer,media=true", "completed", "", false, true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: tc.spec, Calls: 4, Hold: 500 * time.Millisecond})
			for _, r := range res.Records {
				if r.Outcome != tc.outcome || tc.cause != "" && r.HangupCause != tc.cause {
					t.Fatalf("call %s: %s %s, want %s %s", r.CallID, r.Outcome, r.HangupCause, tc.outcome, tc.cause)
				}
				if !r.CallerRinging.IsZero() != tc.ringing || !r.CallerEarlyMedia.IsZero() != tc.early {
					t.Errorf("call %s: ringing %v, early media %v", r.CallID, r.CallerRinging, r.CallerEarlyMedia)
				}
				first := r.CallerRinging
				if tc.early {
					first = r.CallerEarlyMedia
				}
				end := r.CallerHangup
				if tc.outcome == "completed" {
					end = r.CallerAnswer
				}
				if d := end.Sub(first); d < 250*time.Millisecond || d > 2*time.Second {
					t.Errorf("call %s: %v from the first ring to the end of ringing, want ~300ms", r.CallID, d)
				}
			}
		})
	}
}

func TestBlockerParams(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"CalleeBlockOnInvite/code=200", "not a SIP failure"},
		{"CalleeBlockOnInvite/cause=busy", "not a hang-up cause"},
		{"CalleeRingback/then=later", "must be hangup or answer"},
		{"CalleeRingback/ring=-1s", "negative duration"},
		{"CalleeRingback/media=true,tone=ring.wav", "not a tone_stream"},
	} {
		a, err := apps.Builtin().New(tc.spec)
		if err == nil {
			err = a.Setup(t.Context(), nil)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.spec, err, tc.want)
		}
	}
}
