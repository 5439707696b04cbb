package measure_test

import (
	"fmt"
	"time"

	"github.com/switchio/switchio/measure"
)

// An Aggregator turns call records into the catalogue's figures as they
// come, in bounded memory: here four calls offered, three answered (one
// of them dropped by the far end), one refused busy. Lookup gives a
// figure's unit and formula.
func ExampleAggregator() {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	bill := func(ms int64) *int64 { return &ms }
	answered := func(seq int64, outcome string, setup, hold time.Duration) measure.Record {
		create := t0.Add(time.Duration(seq) * time.Second)
		return measure.Record{
			Seq: seq, Server: "fs1:8021", App: "TonePlay", Outcome: outcome, HangupCause: "NORMAL_CLEARING",
			CallerCreate: create, CallerAnswer: create.Add(setup), CallerHangup: create.Add(setup + hold),
			BillMsec: bill(hold.Milliseconds()),
		}
	}
	a := measure.NewAggregator(time.Time{})
	a.Add(answered(0, "completed", 100*time.Millisecond, 10*time.Second))
	a.Add(answered(1, "completed", 100*time.Millisecond, 10*time.Second))
	a.Add(answered(2, "dropped", 100*time.Millisecond, 4*time.Second))
	a.Add(measure.Record{Seq: 3, Server: "fs1:8021", App: "TonePlay", Outcome: "failed", HangupCause: "USER_BUSY",
		CallerCreate: t0.Add(3 * time.Second), CallerHangup: t0.Add(3 * time.Second)})

	s := a.Summary()
	fmt.Printf("offered %d, answered %d, failed %d (%v), completed %d, dropped %d\n",
		s.Offered, s.Answered, s.Failed, s.FailedByCause, s.Completed, s.Dropped)
	for _, name := range []string{measure.MetricASR, measure.MetricNER, measure.MetricACD, measure.MetricDropRate} {
		m, _ := measure.Lookup(name)
		fmt.Printf("%s %.3g %s\n", name, s.Ratios[name], m.Unit)
	}
	setup := s.Latencies[measure.MetricCallSetupLatency]
	fmt.Printf("call_setup_latency: %d calls, p50 %.0f ms\n", setup.Count, setup.P50) // histogram buckets: ~0.1% precision
	m, _ := measure.Lookup(measure.MetricDropRate)
	fmt.Println("drop_rate =", m.Formula)
	// Output:
	// offered 4, answered 3, failed 1 (map[USER_BUSY:1]), completed 2, dropped 1
	// asr 0.75 ratio
	// ner 1 ratio
	// acd 8 s
	// drop_rate 0.333 ratio
	// call_setup_latency: 3 calls, p50 100 ms
	// drop_rate = dropped / answered
}
