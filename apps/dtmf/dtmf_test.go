package dtmf_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps/dtmf"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every call of a clean run passes its DTMF check, with the durations
// fsemu reports as FreeSWITCH does (capture 06: DTMF-Duration in samples,
// whole 20 ms packets).
func TestDtmfCheckerClean(t *testing.T) {
	res := dialtest.Run(t, dialtest.Options{Spec: "DtmfChecker/digits=123#,duration=100ms,delay=50ms", Calls: 10, Hold: 1500 * time.Millisecond})
	if len(res.Records) != 10 {
		t.Fatalf("%d records", len(res.Records))
	}
	for _, r := range res.Records {
		ok, set := dialtest.Bool(r, dtmf.VerdictOK)
		if !set || !ok || dialtest.String(r, dtmf.VerdictResult) != dtmf.ResultOK || dialtest.String(r, dtmf.VerdictReceived) != "123#" {
			t.Fatalf("call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
		}
		if ms, _ := dialtest.Int(r, dtmf.VerdictMinMs); ms != 100 {
			t.Errorf("min duration %d ms, want 100", ms)
		}
	}
	m := res.Summary.Metrics
	if m.MediaChecked != 10 || m.MediaFailed != 0 || m.Verdicts[dtmf.VerdictOK].True != 10 {
		t.Errorf("media %d checked, %d failed; dtmf_ok %+v", m.MediaChecked, m.MediaFailed, m.Verdicts[dtmf.VerdictOK])
	}
}

// Digits the far end loses or reorders are detected: lost ones leave the
// check incomplete with dtmf_missing counting them; reordered ones are a
// mismatch out of order. The call's outcome stays completed: a failed
// media check is a dimension apart.
func TestDtmfCheckerImpaired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		imp    fsemu.Impairments
		result string
	}{
		{"dropped", fsemu.Impairments{DTMFDrop: 1}, dtmf.ResultIncomplete},
		{"reordered", fsemu.Impairments{DTMFReorder: 1}, dtmf.ResultMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: "DtmfChecker/digits=1234,duration=60ms,delay=20ms", Calls: 8,
				Hold: time.Second, Server: fsemu.Config{Impairments: tc.imp}})
			for _, r := range res.Records {
				ok, set := dialtest.Bool(r, dtmf.VerdictOK)
				if !set || ok || dialtest.String(r, dtmf.VerdictResult) != tc.result {
					t.Fatalf("call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
				}
				if r.Outcome != "completed" {
					t.Errorf("outcome %s, want completed", r.Outcome)
				}
				missing, _ := dialtest.Int(r, dtmf.VerdictMissing)
				inOrder, _ := dialtest.Bool(r, dtmf.VerdictInOrder)
				switch tc.name {
				case "dropped":
					if missing != 4 {
						t.Errorf("missing %d, want 4", missing)
					}
				case "reordered":
					if missing != 0 || inOrder {
						t.Errorf("missing %d, in order %v; want 0, false", missing, inOrder)
					}
				}
			}
			m := res.Summary.Metrics
			if m.MediaFailed != 8 || m.Ratios["media_fail_rate"] != 1 {
				t.Errorf("media failed %d, rate %v", m.MediaFailed, m.Ratios["media_fail_rate"])
			}
		})
	}
}

func TestDtmfCheckerParams(t *testing.T) {
	for _, spec := range []string{"DtmfChecker/digits=12x", "DtmfChecker/digits=", "DtmfChecker/duration=1ms", "DtmfChecker/delay=-1s"} {
		d, err := newApp(spec)
		if err == nil {
			err = d.Setup(t.Context(), nil)
		}
		if err == nil || !strings.Contains(err.Error(), "DtmfChecker") && !strings.Contains(err.Error(), "digits") {
			t.Errorf("%s: %v", spec, err)
		}
	}
}

// Across two servers the digits sent on one are checked on the other.
func TestDtmfCheckerAcrossServers(t *testing.T) {
	res := dialtest.Run(t, dialtest.Options{Spec: "DtmfChecker/digits=159,duration=80ms,delay=20ms", Calls: 4,
		Hold: time.Second, Cross: true})
	for _, r := range res.Records {
		ok, set := dialtest.Bool(r, dtmf.VerdictOK)
		if r.CalleeServer == r.Server || !set || !ok {
			t.Errorf("call %s (%s -> %s): verdicts %v", r.CallID, r.Server, r.CalleeServer, verdictText(r.Verdicts))
		}
	}
}
