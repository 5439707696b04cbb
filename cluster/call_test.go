package cluster

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestOriginatingLegFirst: legs of one call reach the pool through different
// servers' loops in any order; the leg whose uuid is the key comes first.
func TestOriginatingLegFirst(t *testing.T) {
	tests := []struct {
		name  string
		order []string // uuids in join order; the key is "orig"
		first string
	}{
		{"originating first", []string{"orig", "b"}, "orig"},
		{"far leg first", []string{"b", "orig"}, "orig"},
		{"no originating leg", []string{"b", "c"}, "b"},
		{"three legs", []string{"b", "c", "orig"}, "orig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newCallRegistry()
			var call *Call
			for _, id := range tt.order {
				call, _ = r.join("orig", &Session{uuid: id})
			}
			if got := call.First().uuid; got != tt.first {
				t.Fatalf("First %s, want %s", got, tt.first)
			}
			if call.Len() != len(tt.order) {
				t.Fatalf("%d legs", call.Len())
			}
		})
	}
}

// TestNoSessionAfterDestroy replays a real call's events: FreeSWITCH sends
// CHANNEL_STATE CS_DESTROY after CHANNEL_DESTROY, which must not bring a
// session back (it would never be destroyed again).
func TestNoSessionAfterDestroy(t *testing.T) {
	c, ctx := newLoopClient(Config{})
	for _, ev := range captureEvents(t) {
		c.handle(ctx, ev)
	}
	k := c.Counters()
	if n := len(c.Sessions()); n != 0 || k.SessionsActive != 0 || k.SessionsTotal != 2 || c.reg.len() != 0 {
		t.Fatalf("after the call: %d sessions tracked, active %d, total %d, calls %d", n, k.SessionsActive, k.SessionsTotal, c.reg.len())
	}
}

// TestCallRegistryJoinLeaveRace joins and leaves the legs of a few calls
// from many goroutines, as the loops of several servers do: a leg must
// never join a call that is no longer registered (Pool.Call would return nil
// for a live call, and the call would end, and be counted, twice).
func TestCallRegistryJoinLeaveRace(t *testing.T) {
	const (
		keys   = 2
		legs   = 4 // per key: the loops of four servers
		rounds = 5000
	)
	r := newCallRegistry()
	var created, ended, orphans atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("call-%d", k)
		for l := 0; l < legs; l++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < rounds; i++ {
					s := &Session{uuid: fmt.Sprintf("%s-leg-%d", key, l)}
					c, isNew := r.join(key, s)
					if isNew {
						created.Add(1)
					}
					if r.get(key) != c {
						orphans.Add(1) // joined a call already forgotten
					}
					r.leave(c, s, func() { ended.Add(1) })
				}
			}()
		}
	}
	wg.Wait()
	if n := orphans.Load(); n != 0 {
		t.Errorf("%d legs joined a call no longer registered", n)
	}
	if c, e := created.Load(), ended.Load(); c != e {
		t.Errorf("%d calls created, %d ended", c, e)
	}
	if n := r.len(); n != 0 {
		t.Errorf("%d calls left registered", n)
	}
}

// Values attached to a call are shared by whoever holds it; the first
// LoadOrStoreValue of a key wins, under concurrent use.
func TestCallValues(t *testing.T) {
	type key struct{}
	c := &Call{}
	if c.Value(key{}) != nil {
		t.Fatal("value before any was set")
	}
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = c.LoadOrStoreValue(key{}, i)
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] || c.Value(key{}) != got[0] {
			t.Fatalf("values %v, stored %v", got, c.Value(key{}))
		}
	}
	c.SetValue(key{}, nil)
	if c.Value(key{}) != nil {
		t.Fatal("SetValue(nil) did not remove the value")
	}
}
