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
	dialtest.RealCheck(t, "DtmfChecker", 4, 9*time.Second, dtmf.VerdictOK)
}
