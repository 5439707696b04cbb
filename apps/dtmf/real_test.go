package dtmf_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/dtmf"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), every call of a
// DtmfChecker run receives its digits in order: dtmf_ok on each. The
// hold covers the default 12 digits as the real server sends them (9
// of them arrive in 5 s).
func TestRealDtmfChecker(t *testing.T) {
	dialtest.RealCheck(t, "DtmfChecker", 4, 9*time.Second, dtmf.VerdictOK)
}

// On a real FreeSWITCH with the far-end dialplan's failure mix (dest
// mix, docs/far-end-dialplan.md: 10% USER_BUSY, 5% CALL_REJECTED, the
// rest ring 2 s then park) and exponential holds, no call is a media
// failure: refused calls carry no DTMF verdict, answered ones pass or,
// held less than the sequence needs, are cut_short (not checked).
func TestRealDtmfCheckerMix(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "DtmfChecker", Dest: "mix", Calls: 30, Rate: 5,
		HoldDist: dialer.HoldDist{Kind: dialer.HoldExp, Mean: 4 * time.Second}, Timeout: 2 * time.Minute})
	var cut int
	for _, r := range res.Records {
		ok, set := dialtest.Bool(r, dtmf.VerdictOK)
		result := dialtest.String(r, dtmf.VerdictResult)
		var bill int64
		if r.BillMsec != nil {
			bill = *r.BillMsec
		}
		t.Logf("call %s: %s %s, billmsec %d, dtmf_result %q, received %q", r.CallID, r.Outcome, r.HangupCause,
			bill, result, dialtest.String(r, dtmf.VerdictReceived))
		switch {
		case r.Outcome == "failed":
			if len(r.Verdicts) > 0 {
				t.Errorf("failed call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
			}
		case result == dtmf.ResultCutShort:
			cut++
			if set {
				t.Errorf("cut short call %s has dtmf_ok", r.CallID)
			}
		case !set || !ok:
			t.Errorf("call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
		}
	}
	m := res.Summary.Metrics
	t.Logf("media checked %d, failed %d, not checked %d (cut short %d)", m.MediaChecked, m.MediaFailed, m.MediaUnchecked, cut)
	if m.MediaFailed != 0 || m.MediaUnchecked != uint64(cut) {
		t.Errorf("media failed %d, unchecked %d; want 0, %d", m.MediaFailed, m.MediaUnchecked, cut)
	}
}
