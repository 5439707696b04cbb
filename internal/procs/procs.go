// Package procs runs a process on one thread of Go code while it is
// lightly loaded, and on all of them when it is not.
//
// Why: whenever a goroutine is made runnable while a processor (P) is
// idle, the Go scheduler wakes an idle thread to look for work; that
// thread spins, tries to steal, and goes back to sleep. A load-test
// controller at 60 calls/s hands each event, command and reply from one
// goroutine to another about 40 times a call, with the host otherwise
// idle, so those wake-ups were a third of its CPU: at GOMAXPROCS=1 the
// same dial used 26% less CPU and 63% fewer context switches (bench/,
// BenchmarkDialerRate). A loaded controller needs every core, so the
// governor measures the process's CPU use each second and switches.
package procs

import (
	"context"
	"os"
	"runtime"
	"sync"
	"time"
)

// Thresholds of the policy, in cores used over one second.
const (
	// RaiseAt: on one processor, a second this busy moves to all of them.
	RaiseAt = 0.7
	// LowerAt: on all processors, LowerFor seconds in a row below this
	// go back to one.
	LowerAt  = 0.35
	LowerFor = 5
)

// Policy decides the next GOMAXPROCS from the last second's CPU use.
type Policy struct {
	Max int // GOMAXPROCS when loaded (the process's setting at start)
	low int // seconds in a row below LowerAt
}

// Next returns the processors to use after a second in which the process
// used `used` cores while running on cur processors.
func (p *Policy) Next(cur int, used float64) int {
	if p.Max <= 1 {
		return cur
	}
	if cur < p.Max {
		p.low = 0
		if used >= RaiseAt*float64(cur) {
			return p.Max
		}
		return cur
	}
	if used < LowerAt {
		p.low++
		if p.low >= LowerFor {
			p.low = 0
			return 1
		}
		return cur
	}
	p.low = 0
	return cur
}

// Govern sets GOMAXPROCS to 1, then follows the process's CPU use once a
// second with Policy until ctx ends or the returned stop is called; stop
// puts GOMAXPROCS back as it was and waits for the governor to end. It
// does nothing where the environment sets GOMAXPROCS (the user's choice
// stands), where the process's CPU time cannot be read, or where
// GOMAXPROCS is already 1.
func Govern(ctx context.Context) (stop func()) {
	start := runtime.GOMAXPROCS(0)
	if _, ok := ProcessCPU(); !ok || start <= 1 || os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	runtime.GOMAXPROCS(1)
	wg.Go(func() {
		p := Policy{Max: start}
		cur := 1
		var m Meter
		m.Sample(time.Now())
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				used, ok := m.Sample(now)
				if !ok {
					continue
				}
				if next := p.Next(cur, used); next != cur {
					runtime.GOMAXPROCS(next)
					cur = next
				}
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			runtime.GOMAXPROCS(start)
		})
	}
}
