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
	dialtest.RealCheck(t, "Bert", 4, 5*time.Second, bert.VerdictOK)
}
