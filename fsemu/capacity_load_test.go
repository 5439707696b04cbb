package fsemu

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestCapacityLoad(t *testing.T) {
	now := captureEpoch
	for _, tc := range []struct {
		held    int
		backlog time.Duration // set-up work queued past now, in wall time
		want    float64       // idle CPU %
	}{
		{0, 0, 100},
		{10, 0, 50},                     // 10 × 0.1 core of 2
		{0, 500 * time.Millisecond, 50}, // both cores busy half the coming second
		{10, 500 * time.Millisecond, 25},
		{0, 3 * time.Second, 0}, // saturated
		{30, 0, 0},              // held calls want more than the cores
		{0, -time.Second, 100},  // backlog worked off a second ago
	} {
		t.Run(fmt.Sprintf("held=%d/backlog=%v", tc.held, tc.backlog), func(t *testing.T) {
			cs := newCapState(Capacity{Cores: 2, HoldCostPerSecond: 100 * time.Millisecond})
			cs.held, cs.busy = tc.held, now.Add(tc.backlog)
			if got := cs.idleCPU(now); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("idle CPU = %v, want %v", got, tc.want)
			}
		})
	}
}
