package players_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchio/switchio/apps/audiocheck"
	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), every recorded call
// of PlayRec and MutedPlayRec passes its check: each leg hears the
// other's plays whole and in order. An odd number of plays ends on the
// caller's, which the called leg hears last and latest (capture 21: its
// read stream lags).
func TestRealPlayers(t *testing.T) {
	for _, spec := range []string{"PlayRec/iterations=4", "PlayRec/iterations=5", "PlayRec/iterations=3,rec_stereo=true",
		"MutedPlayRec/iterations=2", "MutedPlayRec/iterations=3"} {
		t.Run(strings.NewReplacer("/", " ", ",", " ", "=", " ").Replace(spec), func(t *testing.T) {
			res := dialtest.RealCheck(t, spec+",rec_every=1,dir="+t.TempDir(), 3, 8*time.Second, audiocheck.VerdictAudioOK)
			for _, r := range res.Records {
				if seq, set := dialtest.Bool(r, audiocheck.VerdictSequence); !set || !seq {
					t.Errorf("call %s: sequence_ok %v (set %v)", r.CallID, seq, set)
				}
			}
		})
	}
}

// The default PlayRec (no parameters) records one call every 5 s and
// checks it on a real server.
func TestRealPlayRecDefault(t *testing.T) {
	res := dialtest.RealCheck(t, "PlayRec", 4, 3*time.Second, "")
	if m := res.Summary.Metrics; m.MediaChecked == 0 || m.MediaFailed != 0 {
		t.Errorf("media checked %d, failed %d: %s", m.MediaChecked, m.MediaFailed, fmt.Sprint(m.Verdicts))
	}
}

// Across two real servers (opt-in: dialtest.EnvRealFS and EnvRealFS2),
// each leg's recording is checked on its own server and the call's
// verdict comes from both.
func TestRealPlayRecAcrossServers(t *testing.T) {
	real := dialtest.RealServers(t, 2)
	real.Cross = true
	res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "PlayRec/iterations=3,rec_every=1,dir=" + t.TempDir(), Calls: 4,
		Rate: 2, Hold: 5 * time.Second, Timeout: time.Minute})
	dialtest.PassAll(t, res, 4, audiocheck.VerdictAudioOK)
	for _, r := range res.Records {
		if r.CalleeServer == "" || r.CalleeServer == r.Server {
			t.Errorf("call %s on %s and %q: not across servers", r.CallID, r.Server, r.CalleeServer)
		}
	}
}
