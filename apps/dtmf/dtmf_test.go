package dtmf_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchio/switchio/apps/dtmf"
	"github.com/switchio/switchio/dialer"
	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/internal/syncbuf"
	"github.com/switchio/switchio/measure"
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
		hold   time.Duration
		result string
	}{
		// Held past the last digit's due time (20 ms + 4 x (60 ms +
		// 350 ms) + 1 s = 2.66 s), so lost digits are a failure, not a cut,
		// and the reordered ones all arrive (fsemu spaces them as
		// FreeSWITCH does, 400 ms apart at 60 ms).
		{"dropped", fsemu.Impairments{DTMFDrop: 1}, 3 * time.Second, dtmf.ResultIncomplete},
		{"reordered", fsemu.Impairments{DTMFReorder: 1}, 3 * time.Second, dtmf.ResultMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: "DtmfChecker/digits=1234,duration=60ms,delay=20ms", Calls: 8,
				Hold: tc.hold, Server: fsemu.Config{Impairments: tc.imp}})
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

// hasDtmfVerdict reports whether the record holds any dtmf_ verdict or
// media_unchecked.
func hasDtmfVerdict(r measure.Record) bool {
	for k := range r.Verdicts {
		if strings.HasPrefix(k, "dtmf_") || k == measure.VerdictUnchecked {
			return true
		}
	}
	return false
}

// A verdict only for answered calls: calls the far end refuses (busy)
// carry no DTMF verdict at all (TonePlay leaves them null too), and only
// the answered ones count as checked.
func TestDtmfCheckerFailedCallsNoVerdict(t *testing.T) {
	res := dialtest.Run(t, dialtest.Options{Spec: "DtmfChecker/digits=12,duration=60ms,delay=20ms", Calls: 20,
		Hold: 2 * time.Second, Server: fsemu.Config{Seed: 7, Inbound: fsemu.Inbound{Action: "park", BusyRate: 0.3}}})
	var answered, failed uint64
	for _, r := range res.Records {
		switch r.Outcome {
		case "failed":
			failed++
			if hasDtmfVerdict(r) {
				t.Errorf("failed call %s (%s): verdicts %v", r.CallID, r.HangupCause, verdictText(r.Verdicts))
			}
		default:
			answered++
			if ok, set := dialtest.Bool(r, dtmf.VerdictOK); !set || !ok {
				t.Errorf("answered call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
			}
		}
	}
	if failed == 0 || answered == 0 {
		t.Fatalf("%d failed, %d answered: want both", failed, answered)
	}
	if m := res.Summary.Metrics; m.MediaChecked != answered || m.MediaFailed != 0 || m.MediaUnchecked != 0 {
		t.Errorf("media %d checked, %d failed, %d unchecked; want %d, 0, 0", m.MediaChecked, m.MediaFailed, m.MediaUnchecked, answered)
	}
}

// A call that ends before its last digit is due is cut short: dtmf_ok
// null, dtmf_result cut_short, media_unchecked "cut short", counted
// apart, not a media failure. Digits lost on a call held long enough
// stay a failure (TestDtmfCheckerImpaired).
func TestDtmfCheckerCutShort(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		imp        fsemu.Impairments
		hold       time.Duration
	}{
		// hung up before the sequence was even sent
		{"before sending", "DtmfChecker/digits=1234,duration=60ms,delay=3s", fsemu.Impairments{}, 500 * time.Millisecond},
		// sent, digits lost, but the call ended (1 s) before the last
		// digit was due (20 ms + 4 x 410 ms + 1 s)
		{"lost but ended early", "DtmfChecker/digits=1234,duration=60ms,delay=20ms", fsemu.Impairments{DTMFDrop: 1}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := dialtest.Run(t, dialtest.Options{Spec: tc.spec, Calls: 6, Hold: tc.hold,
				Server: fsemu.Config{Impairments: tc.imp}})
			for _, r := range res.Records {
				_, set := dialtest.Bool(r, dtmf.VerdictOK)
				if set || dialtest.String(r, dtmf.VerdictResult) != dtmf.ResultCutShort ||
					dialtest.String(r, measure.VerdictUnchecked) != dtmf.ReasonCutShort || dialtest.String(r, dtmf.VerdictSent) != "1234" {
					t.Errorf("call %s: verdicts %v", r.CallID, verdictText(r.Verdicts))
				}
			}
			if m := res.Summary.Metrics; m.MediaChecked != 0 || m.MediaFailed != 0 || m.MediaUnchecked != 6 {
				t.Errorf("media %d checked, %d failed, %d unchecked; want 0, 0, 6", m.MediaChecked, m.MediaFailed, m.MediaUnchecked)
			}
		})
	}
}

// The checker warns once at the start when the hold leaves too little
// time for the sequence (20 ms + 1 x (60 ms + 350 ms) + 1 s = 1.43 s
// here): the share of calls held less, fixed or drawn.
func TestDtmfCheckerHoldWarning(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold time.Duration
		dist string
		want string // in the warning; "" for none
	}{
		{"fixed, too short", time.Second, "", "100% of calls"},
		{"uniform, partly short", 0, "uniform:1s-2s", "43% of calls"},
		{"long enough", 1500 * time.Millisecond, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			o := dialtest.Options{Spec: "DtmfChecker/digits=1,duration=60ms,delay=20ms", Calls: 1, Hold: tc.hold,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if tc.dist != "" {
				hd, err := dialer.ParseHoldDist(tc.dist)
				if err != nil {
					t.Fatal(err)
				}
				o.HoldDist = hd
			}
			dialtest.Run(t, o)
			var warnings []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "level=WARN") && strings.Contains(l, "DtmfChecker") {
					warnings = append(warnings, l)
				}
			}
			switch {
			case tc.want == "" && len(warnings) > 0:
				t.Errorf("warned: %q", warnings)
			case tc.want != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.want) || !strings.Contains(warnings[0], "cut_short")):
				t.Errorf("warnings %q, want one with %q and cut_short", warnings, tc.want)
			}
		})
	}
}
