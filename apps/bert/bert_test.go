package bert_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps"
	"github.com/switchio/switchio/apps/bert"
	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/originate"
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

// Bert's calls are originated on PCMU with a jitter buffer and a soft
// timer for mod_bert, as switchio's Python Bert set them, each unless
// the dial sets it (--codec, --var).
func TestBertOriginateVars(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  originate.Request
		want []string // in the originate
		not  []string // not in it
	}{
		{"defaults", originate.Request{},
			[]string{"absolute_codec_string=PCMU", "jitterbuffer_msec=100:200:40", "bert_timer_name=soft"}, nil},
		{"user codec", originate.Request{Codec: "PCMA"},
			[]string{"absolute_codec_string=PCMA", "jitterbuffer_msec=100:200:40"}, []string{"absolute_codec_string=PCMU"}},
		{"user vars", originate.Request{Vars: []originate.Var{{Name: "jitterbuffer_msec", Value: "60"}, {Name: "bert_timer_name", Value: "fast"}}},
			[]string{"absolute_codec_string=PCMU", "jitterbuffer_msec=60", "bert_timer_name=fast"}, []string{"100:200:40", "bert_timer_name=soft"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fsemu.RunT(t)
			pool, err := cluster.NewPool(t.Context(), []string{srv.Addr()}, cluster.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			d, err := dialer.New(t.Context(), pool, dialer.Config{Rate: 1, Duration: time.Second, Request: tc.req})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.LoadSpec(t.Context(), apps.Builtin(), "Bert", 1); err != nil {
				t.Fatal(err)
			}
			cmd, err := d.OriginateCommand(srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if strings.Count(cmd, w) != 1 {
					t.Errorf("%s: want %s once", cmd, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(cmd, n) {
					t.Errorf("%s: has %s", cmd, n)
				}
			}
		})
	}
}
