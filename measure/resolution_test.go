package measure_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/switchio/switchio/measure"
)

// stamps draws n event times (µs) of a server whose clock ticks every
// tick µs (0: exact), events arriving every gap µs on average, each tick
// stamped with jitter up to ±jitter µs (FreeSWITCH's timer thread wakes
// a little late), and odd stamps off the grid at every odd-th event.
func stamps(seed uint64, n int, tick, gap, jitter int64, odd int) []int64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []int64
	t := int64(1_700_000_000_000_000)
	phase := int64(rng.IntN(20000))
	for i := 0; i < n; i++ {
		t += rng.Int64N(2*gap) + 1
		s := t
		if tick > 0 {
			k := (t - phase) / tick
			s = phase + k*tick
			if jitter > 0 {
				// One jitter per tick: every stamp of a tick is the same.
				s += int64(rand.New(rand.NewPCG(uint64(k), 2)).IntN(int(2*jitter+1))) - jitter
			}
		}
		if odd > 0 && i%odd == odd-1 {
			s += 1188
		}
		out = append(out, s)
	}
	return out
}

// diffsOf returns the absolute differences between each stamp and the
// previous distinct one, as the CDR samples them.
func diffsOf(ts []int64) []int64 {
	var out []int64
	last := ts[0]
	for _, v := range ts[1:] {
		if v == last {
			continue
		}
		d := v - last
		if d < 0 {
			d = -d
		}
		out = append(out, d)
		last = v
	}
	return out
}

// EstimateResolution finds a server's tick from the differences between
// its timestamps: 20 ms under heavy and light load, with the real timer's
// jitter and a few odd stamps; 10 ms and 1 ms (1ms-timer); and no grid
// (1 µs) for a server stamping exact times, however busy.
func TestEstimateResolution(t *testing.T) {
	cases := []struct {
		name              string
		tick, gap, jitter int64
		odd               int
		want              float64 // µs
	}{
		{"20 ms tick, busy", 20000, 2000, 20, 0, 20000},
		{"20 ms tick, idle", 20000, 90000, 20, 0, 20000},
		{"20 ms tick, late wake-ups", 20000, 5000, 20, 25, 20000},
		{"10 ms tick", 10000, 7000, 20, 0, 10000},
		{"1ms-timer, busy", 1000, 300, 20, 0, 1000},
		{"1ms-timer, idle", 1000, 40000, 20, 0, 1000},
		{"exact, busy", 0, 50, 0, 0, 1},
		{"exact, idle", 0, 30000, 0, 0, 1},
		{"exact, quiet", 0, 500000, 0, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				d := diffsOf(stamps(seed, 3000, tc.tick, tc.gap, tc.jitter, tc.odd))
				got, share := measure.EstimateResolution(d)
				if got != tc.want {
					t.Errorf("seed %d: %v µs (%.0f%% on it), want %v µs", seed, got, 100*share, tc.want)
				}
				if share < 0.7 {
					t.Errorf("seed %d: only %.0f%% on the grid", seed, 100*share)
				}
			}
		})
	}
	if got, _ := measure.EstimateResolution(nil); got != 0 {
		t.Errorf("no differences: %v", got)
	}
}

// ShowLatency: a figure on server clocks below their tick says only
// "within one tick"; above it, no decimals finer than the tick; figures
// on the controller's clock or an exact server clock are left alone.
func TestShowLatency(t *testing.T) {
	m := func(name string) measure.Metric { mt, _ := measure.Lookup(name); return mt }
	cases := []struct {
		metric      string
		v, resMs    float64
		shown       float64
		below       bool
		tick        float64
		description string
	}{
		{measure.MetricInviteLatency, 0.001, 20, 0.001, true, 20, "one identical time on a 20 ms clock"},
		{measure.MetricInviteLatency, 19.99, 20, 19.99, true, 20, "just under a tick"},
		{measure.MetricInviteLatency, 40.04, 20, 40, false, 20, "two ticks, no finer"},
		{measure.MetricCallSetupLatency, 3.456, 1, 3, false, 1, "1ms-timer: whole ms"},
		{measure.MetricPDD, 0.3, 1, 0.3, true, 1, "1ms-timer: under a tick"},
		{measure.MetricCallDuration, 0.01, 20, 0.01, true, 0.02, "seconds: the tick in seconds"},
		{measure.MetricCallDuration, 30.123, 20, 30.12, false, 0.02, "seconds: two decimals"},
		{measure.MetricLocalSetupLatency, 0.5, 20, 0.5, false, 0, "switchio's clock: as measured"},
		{measure.MetricInviteLatency, 0.5, 0.001, 0.5, false, 0, "exact server clock"},
		{measure.MetricInviteLatency, 0.5, 0, 0.5, false, 0, "unknown resolution"},
	}
	for _, c := range cases {
		shown, below, tick := measure.ShowLatency(m(c.metric), c.v, c.resMs)
		if math.Abs(shown-c.shown) > 1e-9 || below != c.below || math.Abs(tick-c.tick) > 1e-9 {
			t.Errorf("%s: ShowLatency(%s, %v, %v) = %v, %v, %v; want %v, %v, %v", c.description, c.metric, c.v, c.resMs,
				shown, below, tick, c.shown, c.below, c.tick)
		}
	}
}
