package dialer

import (
	"testing"
	"time"
)

func TestRates(t *testing.T) {
	s := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	for _, tc := range []struct {
		name                  string
		offered, answered     uint64
		firstOffer, lastOffer float64 // seconds
		firstAns, lastAns     float64
		offeredR, achievedR   float64
	}{
		// 3000 calls offered at 49.99 cps (2999 gaps over 59.992 s, as
		// the quick start printed); set-up jitter puts the first answer
		// 62 ms late and the last 2 ms late: the answers' span is 60 ms
		// shorter, which read 50.04 cps.
		{"keeps up, answers bunched", 3000, 3000, 0, 59.992, 0.062, 59.994, 49.99, 49.99},
		{"keeps up, answers spread", 3000, 3000, 0, 59.992, 0.040, 60.1, 49.99, 49.93},
		// 90 cps offered for 10 s to a server that sets up ~60 cps: its
		// answers take 15 s.
		{"falls behind", 901, 901, 0, 10, 0.05, 15.05, 90, 60},
		// A tenth of the calls fail: fewer answers over the same span.
		{"fails calls", 101, 91, 0, 10, 0.05, 10.05, 10, 9},
		// A far end ringing 10 s: the answers come 10 s late, over the
		// offers' span: the rate is the offered rate, not the latency.
		{"rings 10 s", 10, 10, 0, 0.9, 10.05, 10.95, 10, 10},
		{"one answer", 10, 1, 0, 0.9, 0.05, 0.05, 10, 0},
		{"nothing answered", 10, 0, 0, 0.9, 0, 0, 10, 0},
		{"one offer", 1, 1, 0, 0, 0.05, 0.05, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			off := offeredRate(tc.offered, s(tc.firstOffer), s(tc.lastOffer))
			ach := achievedRate(tc.answered, s(tc.firstOffer), s(tc.lastOffer), s(tc.firstAns), s(tc.lastAns))
			if round2(off) != tc.offeredR || round2(ach) != tc.achievedR {
				t.Fatalf("offered %.2f achieved %.2f cps, want %.2f and %.2f", off, ach, tc.offeredR, tc.achievedR)
			}
			if ach > off {
				t.Fatalf("achieved %.4f cps above the offered %.4f", ach, off)
			}
		})
	}
}
