package threshold

import (
	"bytes"
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/switchio/switchio/measure"
)

// summary is a run: two servers, two apps, some failures.
func summary() measure.MetricsSummary {
	return measure.MetricsSummary{
		Figures: measure.Figures{
			Offered: 1000, Answered: 962, Failed: 38, Completed: 950, Dropped: 12, Abandoned: 0,
			FailedByCause: map[string]uint64{"USER_BUSY": 30, "NO_ANSWER": 8},
			Ratios: map[string]float64{"asr": 0.962, "ner": 1, "drop_rate": 0.0125, "seizure_fail_rate": 0.038,
				"answer_seizure_ratio": 0.962, "acd": 62.3456, "media_fail_rate": 0.004},
			MediaChecked: 950, MediaFailed: 4,
			Verdicts: map[string]measure.VerdictFigures{"dtmf_ok": {Count: 950, True: 947, False: 3},
				"audio_ok": {Count: 950, True: 949, False: 1}},
			Latencies: map[string]measure.Percentiles{
				"call_setup_latency": {Count: 962, P50: 80.5, P90: 120, P99: 143.2, P999: 190.4, Max: 250},
				"pdd":                {Count: 990, P50: 2400, P90: 2900, P99: 3100, P999: 3500, Max: 4000},
				"call_duration":      {Count: 962, P50: 60.2, P90: 61, P99: 61.5, P999: 62, Max: 65.25},
				"hold_error":         {Count: 0},
			},
		},
		PerServer: map[string]measure.Figures{
			"fs1:8021": {Offered: 500, Answered: 500, FailedByCause: map[string]uint64{},
				Ratios:    map[string]float64{"asr": 1},
				Latencies: map[string]measure.Percentiles{"call_setup_latency": {Count: 500, P99: 310}}},
			"fs2:8021": {Offered: 500, Answered: 462, Failed: 38, FailedByCause: map[string]uint64{"USER_BUSY": 30, "NO_ANSWER": 8},
				Ratios: map[string]float64{"asr": 0.924}},
		},
		PerApp: map[string]measure.Figures{
			"TonePlay": {Offered: 10, Failed: 10, FailedByCause: map[string]uint64{"USER_BUSY": 10},
				Ratios: map[string]float64{"asr": 0}},
		},
	}
}

func TestEvaluate(t *testing.T) {
	s := summary()
	for _, tc := range []struct {
		expr    string
		value   float64
		missing bool
		pass    bool
		line    string
	}{
		{"p99(call_setup_latency)<200ms", 143.2, false, true, "✓ p99(call_setup_latency)<200ms  (143.2 ms)"},
		{"p99(call_setup_latency)<0.1s", 143.2, false, false, "✗ p99(call_setup_latency)<0.1s  (0.143 s)"},
		{"p50(call_setup_latency)<=80.5", 80.5, false, true, "✓ p50(call_setup_latency)<=80.5  (80.5 ms)"},
		{"p90(call_setup_latency)>120", 120, false, false, "✗ p90(call_setup_latency)>120  (120 ms)"},
		{"p99.9(call_setup_latency)!=0", 190.4, false, true, "✓ p99.9(call_setup_latency)!=0  (190.4 ms)"},
		{"max(call_setup_latency)==250ms", 250, false, true, "✓ max(call_setup_latency)==250ms  (250 ms)"},
		{"p50(pdd)<=3s", 2400, false, true, "✓ p50(pdd)<=3s  (2.4 s)"},
		{"p99(pdd)<=3s", 3100, false, false, "✗ p99(pdd)<=3s  (3.1 s)"},
		{"max(call_duration)<66", 65.25, false, true, "✓ max(call_duration)<66  (65.25 s)"},
		{"max(call_duration)<1.1m", 65.25, false, true, "✓ max(call_duration)<1.1m  (1.09 m)"},
		{"max(call_duration)>65300ms", 65.25, false, false, "✗ max(call_duration)>65300ms  (65250 ms)"},
		{"asr>=0.99", 0.962, false, false, "✗ asr>=0.99  (0.962)"},
		{"asr>=96%", 0.962, false, true, "✓ asr>=96%  (96.2%)"},
		{"ner>0.95", 1, false, true, "✓ ner>0.95  (1)"},
		{"drop_rate<0.01", 0.0125, false, false, "✗ drop_rate<0.01  (0.0125)"},
		{"seizure_fail_rate<=3.8%", 0.038, false, true, "✓ seizure_fail_rate<=3.8%  (3.8%)"},
		{"acd>=60s", 62.3456, false, true, "✓ acd>=60s  (62.346 s)"},
		{"acd>=1.1m", 62.3456, false, false, "✗ acd>=1.1m  (1.04 m)"},
		{"failed<5", 38, false, false, "✗ failed<5  (38)"},
		{"failed{cause=USER_BUSY}<10", 30, false, false, "✗ failed{cause=USER_BUSY}<10  (30)"},
		{"failed{cause=NO_ANSWER}<10", 8, false, true, "✓ failed{cause=NO_ANSWER}<10  (8)"},
		{"failed{cause=CALL_REJECTED}==0", 0, false, true, "✓ failed{cause=CALL_REJECTED}==0  (0)"},
		{"offered==1000", 1000, false, true, "✓ offered==1000  (1000)"},
		{"answered>=1000", 962, false, false, "✗ answered>=1000  (962)"},
		{"completed>900", 950, false, true, "✓ completed>900  (950)"},
		{"dropped<=12", 12, false, true, "✓ dropped<=12  (12)"},
		{"abandoned==0", 0, false, true, "✓ abandoned==0  (0)"},
		// Media checks.
		{"media_checked>=900", 950, false, true, "✓ media_checked>=900  (950)"},
		{"media_failed==0", 4, false, false, "✗ media_failed==0  (4)"},
		{"media_fail_rate<1%", 0.004, false, true, "✓ media_fail_rate<1%  (0.4%)"},
		{"media_failed{verdict=dtmf_ok}<=3", 3, false, true, "✓ media_failed{verdict=dtmf_ok}<=3  (3)"},
		{"media_failed{verdict=audio_ok}==0", 1, false, false, "✗ media_failed{verdict=audio_ok}==0  (1)"},
		{"media_failed{verdict=bert_ok}==0", 0, true, false, "✗ media_failed{verdict=bert_ok}==0  (no data)"},
		// Selectors.
		{"p99(call_setup_latency){server=fs1:8021}<300ms", 310, false, false, "✗ p99(call_setup_latency){server=fs1:8021}<300ms  (310 ms)"},
		{"asr{server=fs1:8021}>=0.99", 1, false, true, "✓ asr{server=fs1:8021}>=0.99  (1)"},
		{"asr{server=fs2:8021}>=0.99", 0.924, false, false, "✗ asr{server=fs2:8021}>=0.99  (0.924)"},
		{"failed{server=fs2:8021,cause=USER_BUSY}<=30", 30, false, true, "✓ failed{server=fs2:8021,cause=USER_BUSY}<=30  (30)"},
		{"failed{server=fs1:8021}==0", 0, false, true, "✓ failed{server=fs1:8021}==0  (0)"},
		{"asr{app=TonePlay}>=0.9", 0, false, false, "✗ asr{app=TonePlay}>=0.9  (0)"},
		{"failed{app=TonePlay,cause=USER_BUSY}==10", 10, false, true, "✓ failed{app=TonePlay,cause=USER_BUSY}==10  (10)"},
		// Missing figures fail, whatever the comparison.
		{"max(hold_error)<50ms", 0, true, false, "✗ max(hold_error)<50ms  (no data)"},
		{"p99(invite_latency)<100ms", 0, true, false, "✗ p99(invite_latency)<100ms  (no data)"},
		{"p99(invite_latency)>=0", 0, true, false, "✗ p99(invite_latency)>=0  (no data)"},
		{"p99(call_setup_latency){server=fs2:8021}<300ms", 0, true, false, "✗ p99(call_setup_latency){server=fs2:8021}<300ms  (no data)"},
		{"asr{server=fs9:8021}>=0", 0, true, false, "✗ asr{server=fs9:8021}>=0  (no data)"},
		{"failed{server=fs9:8021}==0", 0, true, false, "✗ failed{server=fs9:8021}==0  (no data)"},
		{"asr{app=Nope}>=0.9", 0, true, false, "✗ asr{app=Nope}>=0.9  (no data)"},
		{"drop_rate{app=TonePlay}<0.01", 0, true, false, "✗ drop_rate{app=TonePlay}<0.01  (no data)"},
		{"acd{app=TonePlay}>=60s", 0, true, false, "✗ acd{app=TonePlay}>=60s  (no data)"},
	} {
		th, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		r := Evaluate(th, s)
		if r.Value != tc.value || r.Missing != tc.missing || r.Pass != tc.pass {
			t.Errorf("Evaluate(%s) = value %v missing %v pass %v, want %v %v %v", tc.expr, r.Value, r.Missing, r.Pass, tc.value, tc.missing, tc.pass)
		}
		if r.Threshold != th {
			t.Errorf("Evaluate(%s).Threshold = %v", tc.expr, r.Threshold)
		}
		if got := r.String(); got != tc.line {
			t.Errorf("Evaluate(%s).String() = %q, want %q", tc.expr, got, tc.line)
		}
	}
}

// An empty run: counts are 0, ratios and latencies missing.
func TestEvaluateEmpty(t *testing.T) {
	var s measure.MetricsSummary
	for expr, want := range map[string]Result{
		"failed<5":                      {Value: 0, Pass: true},
		"answered>=1":                   {Value: 0, Pass: false},
		"failed{cause=USER_BUSY}==0":    {Value: 0, Pass: true},
		"asr>=0.99":                     {Missing: true},
		"p99(call_setup_latency)<200ms": {Missing: true},
	} {
		r := Evaluate(mustParse(t, expr), s)
		if r.Value != want.Value || r.Missing != want.Missing || r.Pass != want.Pass {
			t.Errorf("%s: %+v, want %+v", expr, r, want)
		}
	}
}

func mustParse(t *testing.T, expr string) Threshold {
	t.Helper()
	th, err := Parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// *List is a flag value (pflag's Value adds Type, which it has too).
var _ flag.Value = (*List)(nil)

func TestList(t *testing.T) {
	var l List
	for _, e := range []string{"asr>=0.95", "p99(call_setup_latency) < 200ms"} {
		if err := l.Set(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set("asr>=95"); err == nil {
		t.Error("Set of a malformed threshold: no error")
	}
	if len(l) != 2 || l.String() != "asr>=0.95 p99(call_setup_latency)<200ms" || l.Type() != "expr" {
		t.Errorf("List = %q (%d), type %q", l.String(), len(l), l.Type())
	}
	s := summary()
	rs := l.Evaluate(&s)
	if !rs.Passed() || len(rs.Failed()) != 0 {
		t.Errorf("Passed = %v, want true:\n%s", rs.Passed(), rs)
	}
	want := "✓ asr>=0.95  (0.962)\n✓ p99(call_setup_latency)<200ms  (143.2 ms)\n"
	if rs.String() != want {
		t.Errorf("Results.String() = %q, want %q", rs.String(), want)
	}
	// A run nothing measured: every threshold is missing, and fails.
	rs = l.Evaluate(nil)
	if rs.Passed() || len(rs.Failed()) != 2 || !rs[0].Missing {
		t.Errorf("Evaluate(nil) = %+v", rs)
	}
	if !(Results{}).Passed() {
		t.Error("no thresholds: Passed = false")
	}
}

func TestParseList(t *testing.T) {
	l, err := ParseList([]string{"asr>=0.9", "failed<5"})
	if err != nil || len(l) != 2 {
		t.Fatalf("ParseList = %v, %v", l, err)
	}
	_, err = ParseList([]string{"asr>=90", "failed<5", "pdd<1"})
	want := `threshold "asr>=90": column 6: asr is a ratio from 0 to 1 (did you mean 90%?)` + "\n" +
		`threshold "pdd<1": column 1: pdd is a latency: give an aggregation, as in p99(pdd)`
	if err == nil || err.Error() != want {
		t.Errorf("ParseList error:\n%v\nwant\n%s", err, want)
	}
}

func TestResultJSON(t *testing.T) {
	s := summary()
	r := Evaluate(mustParse(t, "p99(call_setup_latency) < 200ms"), s)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSpace(buf.Bytes())
	want := `{"threshold":"p99(call_setup_latency)<200ms","value":143.2,"missing":false,"pass":true}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Errorf("Unmarshal = %+v, %v; want %+v", back, err, r)
	}
}

func TestAvgCallRate(t *testing.T) {
	th, err := Parse("avg_call_rate>=49.5")
	if err != nil {
		t.Fatal(err)
	}
	s := measure.MetricsSummary{Figures: measure.Figures{Offered: 100, Ratios: map[string]float64{measure.MetricAvgCallRate: 49.9}}}
	if r := Evaluate(th, s); !r.Pass || r.Value != 49.9 || r.String() != "✓ avg_call_rate>=49.5  (49.9 calls/s)" {
		t.Fatalf("%+v %q", r, r.String())
	}
	if _, err := Parse("avg_call_rate>=50ms"); err == nil || !strings.Contains(err.Error(), "calls per second") {
		t.Fatalf("a duration on a rate: %v", err)
	}
}
