package script_test

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/switchio/switchio/dialer/dialtest"
	"github.com/switchio/switchio/fsemu"
	"github.com/switchio/switchio/measure"
)

// verdictsOf lists each record's DTMF check as text, sorted: what the Go
// and the script DtmfChecker must agree on.
func verdictsOf(recs []measure.Record) []string {
	var out []string
	for _, r := range recs {
		ok, okSet := dialtest.Bool(r, "dtmf_ok")
		order, _ := dialtest.Bool(r, "dtmf_in_order")
		missing, _ := dialtest.Int(r, "dtmf_missing")
		out = append(out, fmt.Sprintf("ok=%v/%v result=%s missing=%d in_order=%v sent=%s unchecked=%q",
			ok, okSet, dialtest.String(r, "dtmf_result"), missing, order,
			dialtest.String(r, "dtmf_sent"), dialtest.String(r, measure.VerdictUnchecked)))
	}
	sort.Strings(out)
	return out
}

// The script DtmfChecker sets the Go app's verdicts, call for call, on a
// clean server, one that drops every digit and one that reorders them
// (fsemu's impairments), and when calls end before their digits are due.
func TestDtmfScriptMatchesGo(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	for _, tc := range []struct {
		name string
		imp  fsemu.Impairments
		hold time.Duration
	}{
		{"clean", fsemu.Impairments{}, 3 * time.Second},
		{"dropped", fsemu.Impairments{DTMFDrop: 1}, 3 * time.Second},
		{"reordered", fsemu.Impairments{DTMFReorder: 1}, 3 * time.Second},
		{"cut short", fsemu.Impairments{}, 700 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := dialtest.Options{Calls: 6, Hold: tc.hold, Server: fsemu.Config{Impairments: tc.imp},
				Spec: "DtmfChecker/digits=1234,duration=60ms,delay=20ms"}
			goRecs := dialtest.Run(t, o).Records
			o.Spec, o.App = "", loadApp(t, "dtmf.star", "digits=1234,duration_ms=60,delay_ms=20")
			scriptRecs := dialtest.Run(t, o).Records
			g, s := verdictsOf(goRecs), verdictsOf(scriptRecs)
			if fmt.Sprint(g) != fmt.Sprint(s) {
				t.Fatalf("verdicts differ:\ngo:\n%v\nscript:\n%v", g, s)
			}
		})
	}
}

// With 20% of digits dropped at random, the share of calls the script
// passes (dtmf_ok) is the Go app's within sampling noise: the two shares
// may differ by at most 3.5 standard deviations of their difference.
func TestDtmfScriptSharesUnderDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("dials")
	}
	const calls = 30
	o := dialtest.Options{Calls: calls, Rate: 20, Hold: 2500 * time.Millisecond,
		Server: fsemu.Config{Impairments: fsemu.Impairments{DTMFDrop: 0.2}},
		Spec:   "DtmfChecker/digits=123,duration=60ms,delay=20ms"}
	share := func(recs []measure.Record) float64 {
		n := 0
		for _, r := range recs {
			if v, ok := dialtest.Bool(r, "dtmf_ok"); v && ok {
				n++
			}
		}
		return float64(n) / float64(len(recs))
	}
	pg := share(dialtest.Run(t, o).Records)
	o.Spec, o.App = "", loadApp(t, "dtmf.star", "digits=123,duration_ms=60,delay_ms=20")
	ps := share(dialtest.Run(t, o).Records)
	// Both draw from p = 0.8^3 = 0.512 per call.
	p := math.Pow(0.8, 3)
	sd := math.Sqrt(2 * p * (1 - p) / calls)
	if math.Abs(pg-ps) > 3.5*sd {
		t.Fatalf("dtmf_ok on %.2f of the Go app's calls, %.2f of the script's: more than 3.5 sd (%.3f) apart", pg, ps, sd)
	}
	t.Logf("dtmf_ok: go %.2f, script %.2f (expected %.3f, sd of the difference %.3f)", pg, ps, p, sd)
}
