package fsemu

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the time source of an emulated server: event timestamps, call
// durations, heartbeats, scheduled hang-ups and media playback all run on
// it. The real clock is the default; a *VirtualClock makes tests
// reproducible and fast.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f (in its own goroutine or, for a virtual clock, in
	// the goroutine that advances time) once d has elapsed. Stop cancels it.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports whether the call was still pending.
	Stop() bool
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(d, f)
}

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

// VirtualClock is a Clock that only moves when Advance is called, so timed
// behaviour (ring time, sched_hangup, playback length, heartbeats) is
// deterministic and costs no wall time. The zero value is not usable; use
// NewVirtualClock.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers vtimers
	seq    uint64
}

// NewVirtualClock returns a virtual clock reading start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start}
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A d <= 0 fires at the next Advance.
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &vtimer{c: c, when: c.now.Add(d), seq: c.seq, f: f, idx: -1}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d, running every timer that falls due,
// in time order, each with the clock reading its due time. Timers scheduled
// by those callbacks run too if they fall within d.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for len(c.timers) > 0 && !c.timers[0].when.After(end) {
		t := heap.Pop(&c.timers).(*vtimer)
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Pending reports how many timers are waiting.
func (c *VirtualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type vtimer struct {
	c    *VirtualClock
	when time.Time
	seq  uint64
	f    func()
	idx  int
}

func (t *vtimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.idx < 0 {
		return false
	}
	heap.Remove(&t.c.timers, t.idx)
	return true
}

type vtimers []*vtimer

func (h vtimers) Len() int { return len(h) }
func (h vtimers) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h vtimers) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *vtimers) Push(x any) {
	t := x.(*vtimer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *vtimers) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.idx = -1
	*h = old[:len(old)-1]
	return t
}
