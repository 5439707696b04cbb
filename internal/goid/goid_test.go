package goid

import (
	"sync"
	"testing"
)

// Each goroutine gets its own non-zero id, stable while it runs.
func TestIDPerGoroutine(t *testing.T) {
	me := ID()
	if me == 0 || ID() != me {
		t.Fatalf("ID() = %d, then %d", me, ID())
	}
	const n = 8
	ids := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); ids[i] = ID() }()
	}
	wg.Wait()
	seen := map[uint64]bool{me: true}
	for _, id := range ids {
		if id == 0 || seen[id] {
			t.Fatalf("ids %v (this goroutine %d): want distinct non-zero ids", ids, me)
		}
		seen[id] = true
	}
}

func BenchmarkID(b *testing.B) {
	for b.Loop() {
		ID()
	}
}
