package bert_test

import (
	"testing"
	"time"

	"github.com/switchio/switchio/apps/bert"
	"github.com/switchio/switchio/dialer/dialtest"
)

// On a real FreeSWITCH with mod_bert (opt-in: dialtest.EnvRealFS), every
// call of a Bert run syncs and keeps sync: bert_ok on each.
func TestRealBert(t *testing.T) {
	real := dialtest.RealServers(t, 1)
	res := dialtest.Run(t, dialtest.Options{Real: real, Spec: "Bert", Calls: 4, Rate: 2, Hold: 5 * time.Second,
		Timeout: time.Minute})
	dialtest.PassAll(t, res, 4, bert.VerdictOK)
}
