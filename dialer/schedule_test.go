package dialer

import (
	"math"
	"testing"
	"time"
)

func TestSegmentConstantRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := segment{t0: t0, r0: 4, r1: 4}
	for k := uint64(0); k < 100; k++ {
		due, ok := s.dueAt(float64(k))
		if !ok {
			t.Fatal("never due")
		}
		want := t0.Add(time.Duration(float64(k) / 4 * float64(time.Second)))
		if d := due.Sub(want); d > time.Microsecond || d < -time.Microsecond {
			t.Fatalf("call %d due %v, want %v", k, due.Sub(t0), want.Sub(t0))
		}
	}
}

func TestSegmentFractionalRate(t *testing.T) {
	t0 := time.Unix(0, 0)
	s := segment{t0: t0, r0: 0.5, r1: 0.5}
	due, _ := s.dueAt(3)
	if due.Sub(t0) != 6*time.Second {
		t.Fatalf("call 3 at 0.5 cps due %v, want 6s", due.Sub(t0))
	}
}

func TestSegmentRamp(t *testing.T) {
	t0 := time.Unix(0, 0)
	// 0 -> 100 cps over 10 s: 500 calls during the ramp, then 100 cps.
	s := segment{t0: t0, r0: 0, r1: 100, ramp: 10 * time.Second}
	check := func(n uint64, want float64) {
		t.Helper()
		due, ok := s.dueAt(float64(n))
		if !ok {
			t.Fatalf("call %d never due", n)
		}
		if got := due.Sub(t0).Seconds(); math.Abs(got-want) > 1e-6 {
			t.Fatalf("call %d due at %.6f s, want %.6f", n, got, want)
		}
	}
	check(0, 0)
	check(500, 10)            // end of the ramp
	check(600, 11)            // 100 cps after it
	check(125, math.Sqrt(25)) // N(t) = 5 t^2
	if r := s.rateAt(t0.Add(5 * time.Second)); math.Abs(r-50) > 1e-9 {
		t.Fatalf("rate at 5 s = %v, want 50", r)
	}
	if s.rampLeft(t0.Add(4*time.Second)) != 6*time.Second {
		t.Fatal("rampLeft")
	}
}

func TestSegmentZeroRate(t *testing.T) {
	for _, s := range []segment{
		{t0: time.Unix(0, 0)},
		{t0: time.Unix(0, 0), ramp: time.Second},
		{t0: time.Unix(0, 0), r0: 5}, // a jump to 0
	} {
		for _, k := range []float64{0, 1} {
			if _, ok := s.dueAt(k); ok {
				t.Fatalf("zero rate %+v scheduled call %v", s, k)
			}
		}
	}
}

func TestWRRInterleavesByWeight(t *testing.T) {
	var r wrr
	w := []int{3, 1}
	got := ""
	for i := 0; i < 8; i++ {
		got += string(rune('a' + r.pick(w)))
	}
	if got != "aabaaaba" && got != "abaaabaa" && got != "aaba"+"aaba" {
		t.Fatalf("sequence %s", got)
	}
	count := map[int]int{}
	for i := 0; i < 400; i++ {
		count[r.pick(w)]++
	}
	if count[0] != 300 || count[1] != 100 {
		t.Fatalf("counts %v", count)
	}
	// Live change: weight 0 gets nothing.
	w[1] = 0
	for i := 0; i < 10; i++ {
		if r.pick(w) != 0 {
			t.Fatal("weight 0 picked")
		}
	}
	if r.pick([]int{0, 0}) != -1 {
		t.Fatal("all-zero weights picked")
	}
}

func TestSaturationSignal(t *testing.T) {
	var s saturation
	now := time.Unix(0, 0)
	// A healthy server: 40 results per tick at 5 ms.
	for i := 0; i < 16; i++ {
		for k := 0; k < 40; k++ {
			s.done(5 * time.Millisecond)
		}
		now = now.Add(tick)
		s.tick(now, 1, 5*time.Millisecond, 500*time.Millisecond, 0)
	}
	if s.on || s.ever {
		t.Fatal("healthy server reported saturated")
	}
	// A half-second stall the server catches up on is not saturation.
	for i, backlog := range []int{60, 120, 40, 1} {
		for k := 0; k < 40; k++ {
			s.done(time.Duration(i+1) * 400 * time.Millisecond)
		}
		now = now.Add(tick)
		s.tick(now, backlog, time.Duration(i+1)*400*time.Millisecond, 500*time.Millisecond, 0)
	}
	if s.ever {
		t.Fatal("a short stall reported as saturation")
	}
	// Then it queues: latency climbs past the threshold with a backlog.
	for i := 0; i < 16; i++ {
		for k := 0; k < 15; k++ {
			s.done(time.Duration(i+1) * 300 * time.Millisecond)
		}
		now = now.Add(tick)
		s.tick(now, 200+i*20, time.Duration(i+2)*300*time.Millisecond, 500*time.Millisecond, 0)
	}
	if !s.on {
		t.Fatal("queueing server not reported saturated")
	}
	if c := s.capacity(); c < 50 || c > 70 {
		t.Fatalf("capacity %.1f cps, want ~60", c)
	}
}

func TestSaturationNotBlamedOnServerWhenControllerBehind(t *testing.T) {
	var s saturation
	now := time.Unix(0, 0)
	for i := 0; i < 16; i++ {
		for k := 0; k < 15; k++ {
			s.done(time.Duration(i+1) * 300 * time.Millisecond)
		}
		now = now.Add(tick)
		// The results wait in the controller's own event queue.
		s.tick(now, 200+i*20, time.Duration(i+2)*300*time.Millisecond, 500*time.Millisecond, 5000)
	}
	if s.ever {
		t.Fatal("server reported saturated while the controller's queue was deep")
	}
	if !s.behind || s.peakQueue != 5000 {
		t.Fatalf("controller lag not recorded: behind %v peak %d", s.behind, s.peakQueue)
	}
}

// A deep queue seen at one tick only (a burst the server flushed at once)
// is not the controller falling behind, and does not hide the server's
// saturation.
func TestControllerQueueBurstIsNotLag(t *testing.T) {
	var s saturation
	now := time.Unix(0, 0)
	for i := 0; i < 16; i++ {
		for k := 0; k < 15; k++ {
			s.done(time.Duration(i+1) * 300 * time.Millisecond)
		}
		now = now.Add(tick)
		queued := 0
		if i%4 == 0 {
			queued = 5000
		}
		s.tick(now, 200+i*20, time.Duration(i+2)*300*time.Millisecond, 500*time.Millisecond, queued)
	}
	if s.behind {
		t.Fatal("one-tick bursts taken for controller lag")
	}
	if !s.ever {
		t.Fatal("the server's saturation was hidden by one-tick bursts")
	}
}
