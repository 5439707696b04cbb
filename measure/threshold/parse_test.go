package threshold

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/measure"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want Threshold
		// canon is the canonical form when it differs from expr.
		canon string
	}{
		{expr: "p99(call_setup_latency)<200ms", want: Threshold{Aggregation: P99, Metric: "call_setup_latency", Op: Less, Value: 200, Literal: 200, Unit: "ms"}},
		// a deprecated name reads as its figure, written with its name
		{expr: "p99(setup_ms)<200ms", want: Threshold{Aggregation: P99, Metric: "local_setup_latency", Op: Less, Value: 200, Literal: 200, Unit: "ms"},
			canon: "p99(local_setup_latency)<200ms"},
		{expr: "p50(pdd)<=3s", want: Threshold{Aggregation: P50, Metric: "pdd", Op: LessEqual, Value: 3000, Literal: 3, Unit: "s"}},
		{expr: "p90(pdd)<=0.5m", want: Threshold{Aggregation: P90, Metric: "pdd", Op: LessEqual, Value: 30000, Literal: 0.5, Unit: "m"}},
		{expr: "max(hold_error)<50ms", want: Threshold{Aggregation: Max, Metric: "hold_error", Op: Less, Value: 50, Literal: 50, Unit: "ms"}},
		{expr: "max(hold_error)<50", want: Threshold{Aggregation: Max, Metric: "hold_error", Op: Less, Value: 50, Literal: 50}},
		{expr: "p99.9(call_duration)<1500ms", want: Threshold{Aggregation: P999, Metric: "call_duration", Op: Less, Value: 1.5, Literal: 1500, Unit: "ms"}},
		{expr: "p99.9(call_duration)<2", want: Threshold{Aggregation: P999, Metric: "call_duration", Op: Less, Value: 2, Literal: 2}},
		{expr: "asr>=0.99", want: Threshold{Metric: "asr", Op: GreaterEqual, Value: 0.99, Literal: 0.99}},
		{expr: "asr>=99%", want: Threshold{Metric: "asr", Op: GreaterEqual, Value: 0.99, Literal: 99, Unit: "%"}},
		{expr: "asr>=99.5%", want: Threshold{Metric: "asr", Op: GreaterEqual, Value: 0.995, Literal: 99.5, Unit: "%"}},
		{expr: "ner>0.95", want: Threshold{Metric: "ner", Op: Greater, Value: 0.95, Literal: 0.95}},
		{expr: "drop_rate<0.01", want: Threshold{Metric: "drop_rate", Op: Less, Value: 0.01, Literal: 0.01}},
		{expr: "answer_seizure_ratio!=1", want: Threshold{Metric: "answer_seizure_ratio", Op: NotEqual, Value: 1, Literal: 1}},
		{expr: "acd>=60s", want: Threshold{Metric: "acd", Op: GreaterEqual, Value: 60, Literal: 60, Unit: "s"}},
		{expr: "acd>=1m", want: Threshold{Metric: "acd", Op: GreaterEqual, Value: 60, Literal: 1, Unit: "m"}},
		{expr: "acd>=60", want: Threshold{Metric: "acd", Op: GreaterEqual, Value: 60, Literal: 60}},
		{expr: "acd>500ms", want: Threshold{Metric: "acd", Op: Greater, Value: 0.5, Literal: 500, Unit: "ms"}},
		{expr: "failed{cause=USER_BUSY}<10", want: Threshold{Metric: "failed", Cause: "USER_BUSY", Op: Less, Value: 10, Literal: 10}},
		{expr: "media_failed{app=DtmfChecker,verdict=dtmf_ok}==0", want: Threshold{Metric: "media_failed", App: "DtmfChecker", Verdict: "dtmf_ok", Op: Equal, Value: 0, Literal: 0}},
		{expr: "failed<5", want: Threshold{Metric: "failed", Op: Less, Value: 5, Literal: 5}},
		{expr: "answered>=1000", want: Threshold{Metric: "answered", Op: GreaterEqual, Value: 1000, Literal: 1000}},
		{expr: "abandoned==0", want: Threshold{Metric: "abandoned", Op: Equal, Value: 0, Literal: 0}},
		{expr: "p99(call_setup_latency){server=fs1:8021}<300ms",
			want: Threshold{Aggregation: P99, Metric: "call_setup_latency", Server: "fs1:8021", Op: Less, Value: 300, Literal: 300, Unit: "ms"}},
		{expr: "asr{app=TonePlay}>=0.9", want: Threshold{Metric: "asr", App: "TonePlay", Op: GreaterEqual, Value: 0.9, Literal: 0.9}},
		{expr: "asr{app=TonePlay/freq=440}>=0.9", want: Threshold{Metric: "asr", App: "TonePlay/freq=440", Op: GreaterEqual, Value: 0.9, Literal: 0.9}},
		{expr: `asr{app="TonePlay/freq=440,dur=2"}>=0.9`, want: Threshold{Metric: "asr", App: "TonePlay/freq=440,dur=2", Op: GreaterEqual, Value: 0.9, Literal: 0.9}},
		{expr: `asr{app="TonePlay"}>=0.9`, want: Threshold{Metric: "asr", App: "TonePlay", Op: GreaterEqual, Value: 0.9, Literal: 0.9},
			canon: "asr{app=TonePlay}>=0.9"},
		{expr: "failed{cause=NO_ANSWER,server=[::1]:8021}==0", want: Threshold{Metric: "failed", Server: "[::1]:8021", Cause: "NO_ANSWER", Op: Equal, Value: 0, Literal: 0},
			canon: "failed{server=[::1]:8021,cause=NO_ANSWER}==0"},
		{expr: " p99 ( pdd ) { server = fs1:8021 } < 2.50s\t", want: Threshold{Aggregation: P99, Metric: "pdd", Server: "fs1:8021", Op: Less, Value: 2500, Literal: 2.5, Unit: "s"},
			canon: "p99(pdd){server=fs1:8021}<2.5s"},
		{expr: "failed<007", want: Threshold{Metric: "failed", Op: Less, Value: 7, Literal: 7}, canon: "failed<7"},
	} {
		got, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.expr, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tc.expr, d)
		}
		canon := tc.canon
		if canon == "" {
			canon = tc.expr
		}
		if s := got.String(); s != canon {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.expr, s, canon)
		}
		if again, err := Parse(got.String()); err != nil || again != got {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", `threshold "": column 1: empty threshold: expected a metric, as in asr>=0.99 or p99(call_setup_latency)<200ms`},
		{"   ", `threshold "   ": column 4: empty threshold: expected a metric, as in asr>=0.99 or p99(call_setup_latency)<200ms`},
		{"<5", `threshold "<5": column 1: expected a metric name or an aggregation, found "<"`},
		{"é<1", `threshold "é<1": column 1: expected a metric name or an aggregation, found "é"`},
		{"p95(pdd)<3s", `threshold "p95(pdd)<3s": column 1: unknown aggregation "p95" (use p50, p90, p99, p99.9 or max)`},
		{"p99(pdd<3s", `threshold "p99(pdd<3s": column 8: expected ")" after pdd, found "<"`},
		{"p99()<3s", `threshold "p99()<3s": column 5: expected a metric name, found ")"`},
		{"call_setup<1", `threshold "call_setup<1": column 1: unknown metric "call_setup" (did you mean call_setup_latency?)`},
		{"p99(call_setup_latncy)<1", `threshold "p99(call_setup_latncy)<1": column 5: unknown metric "call_setup_latncy" (did you mean call_setup_latency?)`},
		{"ASR>=0.99", `threshold "ASR>=0.99": column 1: unknown metric "ASR" (did you mean asr?)`},
		{"latency<1", `threshold "latency<1": column 1: unknown metric "latency" (did you mean answer_latency, invite_latency or originate_latency?)`},
		{"foo<1", `threshold "foo<1": column 1: unknown metric "foo" (the names are in docs/metrics.md)`},
		{"p99(asr)<1", `threshold "p99(asr)<1": column 1: p99 applies to latencies, and asr is a ratio`},
		{"max(failed)<1", `threshold "max(failed)<1": column 1: max applies to latencies, and failed is a count`},
		{"pdd<3s", `threshold "pdd<3s": column 1: pdd is a latency: give an aggregation, as in p99(pdd)`},
		{"call_rate>10", `threshold "call_rate>10": column 1: call_rate is a time series, which has no figure in the summary for a threshold`},
		{"p99(erlangs)>10", `threshold "p99(erlangs)>10": column 5: erlangs is a time series, which has no figure in the summary for a threshold`},
		{"asr{srv=x}>0.9", `threshold "asr{srv=x}>0.9": column 5: unknown selector "srv" (use server, app, cause or verdict)`},
		{"asr{}>0.9", `threshold "asr{}>0.9": column 5: expected server, app, cause or verdict in the selector, found "}"`},
		{"asr{server=a,server=b}>0.9", `threshold "asr{server=a,server=b}>0.9": column 14: server is selected twice`},
		{"asr{cause=X}>0.9", `threshold "asr{cause=X}>0.9": column 5: cause applies to failed only, not to asr`},
		{"failed{verdict=dtmf_ok}>0", `threshold "failed{verdict=dtmf_ok}>0": column 8: verdict applies to media_failed only, not to failed`},
		{"asr{server=a,app=b}>0.9", `threshold "asr{server=a,app=b}>0.9": column 14: server and app do not combine (the summary has no figures per server and app)`},
		{"asr{server=a,}>0.9", `threshold "asr{server=a,}>0.9": column 14: expected server, app, cause or verdict in the selector, found "}"`},
		{"asr{server:a}>0.9", `threshold "asr{server:a}>0.9": column 11: expected "=" after server, found ":"`},
		{"asr{server=}>0.9", `threshold "asr{server=}>0.9": column 12: expected a value for server, found "}"`},
		{"asr{server=a>0.9", `threshold "asr{server=a>0.9": column 17: expected "," or "}" in the selector, found the end`},
		{"asr{server=a b}>0.9", `threshold "asr{server=a b}>0.9": column 14: expected "," or "}" in the selector, found "b"`},
		{`asr{server="a}>0.9`, `threshold "asr{server=\"a}>0.9": column 12: unterminated or malformed quoted value for server`},
		{`asr{server=""}>0.9`, `threshold "asr{server=\"\"}>0.9": column 12: empty value for server`},
		{"asr{server=\xff}>0.9", `threshold "asr{server=\xff}>0.9": column 12: expected a value for server, found byte 0xff`},
		{"asr", `threshold "asr": column 4: expected an operator (<, <=, >, >=, ==, !=), found the end`},
		{"asr=0.9", `threshold "asr=0.9": column 4: expected an operator (<, <=, >, >=, ==, !=), found "=" (did you mean ==?)`},
		{"asr=<0.9", `threshold "asr=<0.9": column 4: expected an operator (<, <=, >, >=, ==, !=), found "=" (did you mean ==?)`},
		{"asr\n>=0.9", `threshold "asr\n>=0.9": column 4: expected an operator (<, <=, >, >=, ==, !=), found "\n"`},
		{"asr>=", `threshold "asr>=": column 6: expected a number, found the end`},
		{"asr>=x", `threshold "asr>=x": column 6: expected a number, found "x"`},
		{"asr>=.5", `threshold "asr>=.5": column 6: expected a number, found "."`},
		{"asr>=-1", `threshold "asr>=-1": column 6: expected a number, found "-"`},
		{"asr>=1.", `threshold "asr>=1.": column 8: expected a digit after the decimal point, found the end`},
		{"asr>=99", `threshold "asr>=99": column 6: asr is a ratio from 0 to 1 (did you mean 99%?)`},
		{"asr>=101%", `threshold "asr>=101%": column 6: asr is a ratio: 101% is above 100%`},
		{"asr>=1s", `threshold "asr>=1s": column 7: asr is a ratio: a duration does not apply (write 0.99 or 99%)`},
		{"drop_rate<5ms", `threshold "drop_rate<5ms": column 12: drop_rate is a ratio: a duration does not apply (write 0.99 or 99%)`},
		{"asr>=1kg", `threshold "asr>=1kg": column 7: unknown unit "kg" (asr takes a plain number or a percentage)`},
		{"p99(pdd)<3%", `threshold "p99(pdd)<3%": column 11: a percentage does not apply to pdd, a duration (use ms, s or m)`},
		{"p99(pdd)<3us", `threshold "p99(pdd)<3us": column 11: unknown unit "us" (use ms, s or m)`},
		{"p99(pdd)<3MS", `threshold "p99(pdd)<3MS": column 11: unknown unit "MS" (use ms, s or m)`},
		{"p99(pdd)<1e3", `threshold "p99(pdd)<1e3": column 11: unknown unit "e" (use ms, s or m)`},
		{"failed<5%", `threshold "failed<5%": column 9: failed is a count of calls: give a plain number, without "%"`},
		{"failed<5ms", `threshold "failed<5ms": column 9: failed is a count of calls: give a plain number, without "ms"`},
		{"asr>=0.9 x", `threshold "asr>=0.9 x": column 10: unexpected "x" after the value`},
		{"asr>=0.9)", `threshold "asr>=0.9)": column 9: unexpected ")" after the value`},
		{"p99(pdd)<2.5 s", `threshold "p99(pdd)<2.5 s": column 14: unexpected "s" after the value (write the unit next to the number: 2.5s)`},
		{"p99(pdd)<1" + strings.Repeat("0", 309), `threshold "p99(pdd)<1` + strings.Repeat("0", 309) + `": column 10: number 1` + strings.Repeat("0", 309) + ` is out of range`},
		{"p99(pdd)<1" + strings.Repeat("0", 306) + "m", `threshold "p99(pdd)<1` + strings.Repeat("0", 306) + `m": column 10: 1` + strings.Repeat("0", 306) + `m is out of range`},
	} {
		_, err := Parse(tc.expr)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %s", tc.expr, tc.want)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.expr, err, tc.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Expr != tc.expr {
			t.Errorf("Parse(%q): error %T %v, want a *ParseError for the expression", tc.expr, err, err)
		}
	}
}

// An unknown metric's error lists the close names for callers to offer.
func TestParseErrorNear(t *testing.T) {
	_, err := Parse("p99(setup_latency)<1s")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse: %v, want a *ParseError", err)
	}
	want := []string{"call_setup_latency", "local_setup_latency"}
	if d := cmp.Diff(want, pe.Near); d != "" {
		t.Errorf("Near (-want +got):\n%s", d)
	}
	if pe.Column != 5 {
		t.Errorf("Column = %d, want 5", pe.Column)
	}
}

// Every metric of the catalogue is either thresholdable with a known kind
// or a time series: a new metric must be placed here (and in Evaluate).
func TestCatalogueKinds(t *testing.T) {
	series := map[string]bool{measure.MetricCallRate: true, measure.MetricActiveCalls: true, measure.MetricErlangs: true}
	for _, m := range measure.Catalogue() {
		k := kindOf(m)
		if (k == kindSeries) != series[m.Name] {
			t.Errorf("%s: kind %s, time series %v", m.Name, kindNoun(k), series[m.Name])
		}
		if k == kindMean && m.Unit != "s" && m.Unit != "ms" {
			t.Errorf("%s: a mean in %q, want a duration", m.Name, m.Unit)
		}
	}
}

func TestThresholdText(t *testing.T) {
	var th Threshold
	if err := th.UnmarshalText([]byte("p99(pdd) < 3s")); err != nil {
		t.Fatal(err)
	}
	b, err := th.MarshalText()
	if err != nil || string(b) != "p99(pdd)<3s" {
		t.Errorf("MarshalText = %q, %v; want p99(pdd)<3s", b, err)
	}
	if err := th.UnmarshalText([]byte("p99(pdd)")); err == nil {
		t.Error("UnmarshalText of a malformed threshold: no error")
	}
}
