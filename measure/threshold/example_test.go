package threshold_test

import (
	"errors"
	"fmt"

	"github.com/switchio/switchio/measure"
	"github.com/switchio/switchio/measure/threshold"
)

func ExampleParse() {
	t, err := threshold.Parse("p99(call_setup_latency){server=fs1:8021} < 0.3s")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t)
	fmt.Println(t.Aggregation, t.Metric, t.Server, t.Op, t.Value, "ms")

	_, err = threshold.Parse("asr>=99")
	fmt.Println(err)

	_, err = threshold.Parse("p99(call_setup)<200ms")
	var pe *threshold.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Column, pe.Near)
	}
	// Output:
	// p99(call_setup_latency){server=fs1:8021}<0.3s
	// p99 call_setup_latency fs1:8021 < 300 ms
	// threshold "asr>=99": column 6: asr is a ratio from 0 to 1 (did you mean 99%?)
	// 5 [call_setup_latency]
}

func ExampleEvaluate() {
	s := measure.MetricsSummary{Figures: measure.Figures{
		Offered: 1000, Answered: 962, Failed: 38,
		Ratios:    map[string]float64{"asr": 0.962},
		Latencies: map[string]measure.Percentiles{"call_setup_latency": {Count: 962, P99: 143.2}},
	}}
	t, _ := threshold.Parse("p99(call_setup_latency)<200ms")
	r := threshold.Evaluate(t, s)
	fmt.Println(r.Value, r.Missing, r.Pass)
	// Output:
	// 143.2 false true
}

// A run's thresholds, as `switchio dial --threshold` gathers them, checked
// against its summary: one line per threshold, and the verdict.
func ExampleList() {
	var l threshold.List // a flag value: fs.Var(&l, "threshold", "...")
	for _, expr := range []string{"p99(call_setup_latency)<200ms", "asr>=0.99", "max(hold_error)<50ms", "failed{cause=USER_BUSY}<50"} {
		if err := l.Set(expr); err != nil {
			fmt.Println(err)
			return
		}
	}
	s := &measure.MetricsSummary{Figures: measure.Figures{
		Offered: 1000, Answered: 962, Failed: 38,
		FailedByCause: map[string]uint64{"USER_BUSY": 30, "NO_ANSWER": 8},
		Ratios:        map[string]float64{"asr": 0.962},
		Latencies:     map[string]measure.Percentiles{"call_setup_latency": {Count: 962, P99: 143.2}},
	}}
	rs := l.Evaluate(s)
	fmt.Print(rs)
	fmt.Println("passed:", rs.Passed())
	// Output:
	// ✓ p99(call_setup_latency)<200ms  (143.2 ms)
	// ✗ asr>=0.99  (0.962)
	// ✗ max(hold_error)<50ms  (no data)
	// ✓ failed{cause=USER_BUSY}<50  (30)
	// passed: false
}
