package cluster_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// TestCallsCreatedWhileReconnecting: legs created on a server while its
// client is away (here, its reconnects refused) are adopted after the
// reconnect with their full channel data: they keep the app id they were
// tagged with and join their call across the pool.
func TestCallsCreatedWhileReconnecting(t *testing.T) {
	n := fsemu.NewNetwork()
	var refuse atomic.Bool
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n, ACL: func(net.IP) bool { return !refuse.Load() }})
	ctx := testCtx(t)
	pool, err := cluster.NewPool(ctx, []string{s1.Addr(), s2.Addr()},
		cluster.Config{ReconnectMin: 10 * time.Millisecond, ReconnectMax: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	c1, c2 := pool.Clients()[0], pool.Clients()[1]

	refuse.Store(true)
	s2.DropConnections()
	eventually(t, "disconnected", func() bool { return c2.Conn() == nil })
	const calls = 3
	var ids []string
	for i := 0; i < calls; i++ {
		ids = append(ids, call(t, ctx, c1, s2.SIPAddr(), "window"))
	}
	eventually(t, "far legs up", func() bool { return s2.ChannelCount() == calls })
	// one far leg is answered meanwhile
	if !s2.Answer(s2.Channels()[0].UUID) {
		t.Fatal("cannot answer a far leg")
	}
	if k := c2.Counters(); k.Reconnects != 0 || k.SessionsTotal != 0 {
		t.Fatalf("client saw the far legs before its reconnect: %+v", k)
	}
	refuse.Store(false)
	eventually(t, "reconnected", func() bool { return c2.Counters().Reconnects == 1 && c2.Conn() != nil })
	for _, id := range ids {
		eventually(t, "far leg adopted", func() bool { return len(c2.Sessions()) == calls })
		c := pool.Call(id)
		if c == nil || c.Len() != 2 {
			t.Fatalf("call %s: %v, want two legs", id, c)
		}
		far := c.Last()
		if far.Client() != c2 || far.AppID() != "window" || far.Direction() != "inbound" {
			t.Errorf("far leg of %s: client %s, app id %q, direction %q; want %s, window, inbound",
				id, far.Client().Addr(), far.AppID(), far.Direction(), c2.Addr())
		}
		if info, ok := s2.Channel(far.UUID()); !ok || far.Answered() != info.Answered {
			t.Errorf("far leg of %s: answered %v, server says %v (live %v)", id, far.Answered(), info.Answered, ok)
		}
	}
	if err := pool.Call(ids[0]).Hangup(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "call ended", func() bool { return pool.Call(ids[0]) == nil })
}
