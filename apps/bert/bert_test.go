package bert_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps/bert"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// On a clean link mod_bert reaches sync (capture 11: one
// mod_bert::in_sync per bert leg) and the check passes; with audio loss
// above bert_max_err it never does, and mod_bert::timeout (no sync
// within bert_timeout_ms, mod_bert.c) fails it. Both-sided tests run
// bert_test on the called leg too.
func TestBert(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   string
		imp    fsemu.Impairments
		ok     bool
		inSync int64
	}{
		{"clean", "Bert", fsemu.Impairments{}, true, 1},
		{"clean two-sided", "Bert/two_sided=true", fsemu.Impairments{}, true, 2},
		{"loss", "Bert/timeout=1s", fsemu.Impairments{AudioLoss: 0.2, LossBurst: 40 * time.Millisecond}, false, 0},
		{"muted", "Bert/timeout=1s", fsemu.Impairments{Mute: 1}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: tc.spec, Calls: 4, Hold: 2500 * time.Millisecond,
				Server: fsemu.Config{Impairments: tc.imp}})
			for _, r := range res.Records {
				ok, set := dialtest.Bool(r, bert.VerdictOK)
				in, _ := dialtest.Int(r, bert.VerdictInSync)
				lost, _ := dialtest.Int(r, bert.VerdictLostSync)
				timeouts, _ := dialtest.Int(r, bert.VerdictTimeouts)
				if !set || ok != tc.ok || in != tc.inSync {
					t.Fatalf("call %s: bert_ok %v (set %v), in sync %d, lost %d, timeouts %d", r.CallID, ok, set, in, lost, timeouts)
				}
				if !tc.ok && lost+timeouts == 0 {
					t.Errorf("call %s: failed with no lost sync nor timeout", r.CallID)
				}
			}
			if m := res.Summary.Metrics; m.MediaChecked != 4 || (m.MediaFailed == 0) == !tc.ok {
				t.Errorf("media checked %d, failed %d", m.MediaChecked, m.MediaFailed)
			}
		})
	}
}

// Loss that starts once the test is in sync loses it: mod_bert raises
// mod_bert::lost_sync with its figures (mod_bert.c: sync_lost_percent,
// sync_lost_count, cng_count, err_samples), counted in the verdicts.
func TestBertLostSync(t *testing.T) {
	res := dialtest.Run(t, dialtest.Options{Spec: "Bert", Calls: 3, Rate: 100, Hold: 4 * time.Second,
		During: func(s *fsemu.Server) {
			time.Sleep(2 * time.Second)
			s.SetImpairments(fsemu.Impairments{AudioLoss: 0.5, LossBurst: 20 * time.Millisecond})
		}})
	for _, r := range res.Records {
		ok, _ := dialtest.Bool(r, bert.VerdictOK)
		in, _ := dialtest.Int(r, bert.VerdictInSync)
		lost, _ := dialtest.Int(r, bert.VerdictLostSync)
		errs, _ := dialtest.Int(r, bert.VerdictErrSamples)
		pct := r.Verdicts[bert.VerdictLostPercent].Float
		if ok || in < 1 || lost < 1 || errs <= 0 || pct == nil || *pct <= 10 {
			t.Errorf("call %s: ok %v, in sync %d, lost %d, err samples %d, percent %v", r.CallID, ok, in, lost, errs, pct)
		}
	}
}
