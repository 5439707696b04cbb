package cluster

import "testing"

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
