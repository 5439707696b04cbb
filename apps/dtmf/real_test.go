package dtmf_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/dtmf"
	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH (opt-in: dialtest.EnvRealFS), every call of a
// DtmfChecker run receives its digits in order: dtmf_ok on each. The
// hold covers the default 12 digits as the real server sends them (9
// of them arrive in 5 s).
func TestRealDtmfChecker(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "DtmfChecker", Calls: 4, Rate: 2, Hold: 9 * time.Second,
		Timeout: time.Minute})
	dialtest.PassAll(t, res, 4, dtmf.VerdictOK)
}
