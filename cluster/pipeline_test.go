package cluster_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
)

// TestQueuedCommandsPipelined: queued commands of different sessions do not
// wait for each other's replies: with the server not answering, one command
// per session is written and awaiting its reply for every session at once
// (up to Config.Senders), where serial senders allowed one per sender.
func TestQueuedCommandsPipelined(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	const calls = 20
	for i := 0; i < calls; i++ {
		call(t, ctx, c1, s2.SIPAddr(), "pipe")
	}
	eventually(t, "far legs tracked", func() bool { return len(c2.Sessions()) == calls })
	// replies (and events) held back for a while; fsemu cannot end a
	// stall early, so it is short, but long enough to see every command
	// written
	s2.Stall(2 * time.Second)
	for i, s := range c2.Sessions() {
		if err := s.Queue().SetVar("pipelined", strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every session's command in flight", func() bool { return c2.Conn().Stats().InFlight == calls })
	eventually(t, "commands acknowledged", func() bool { return c2.Conn().Stats().InFlight == 0 && c2.Counters().Queued == 0 })
	for _, s := range c2.Sessions() {
		eventually(t, "variable set", func() bool { info, ok := s2.Channel(s.UUID()); return ok && info.Var("pipelined") != "" })
	}
	if k := c2.Counters(); k.CommandsFailed != 0 || k.QueueHighWater == 0 {
		t.Fatalf("counters %+v", k)
	}
}

// TestQueuedCommandsOfASessionInOrder: commands queued for one session reach
// the server in the order queued.
func TestQueuedCommandsOfASessionInOrder(t *testing.T) {
	_, s2, pool := twoServers(t)
	ctx := testCtx(t)
	c1, c2 := pool.Clients()[0], pool.Clients()[1]
	id := call(t, ctx, c1, s2.SIPAddr(), "order")
	eventually(t, "far leg", func() bool { c := pool.Call(id); return c != nil && c.Len() == 2 })
	far := pool.Call(id).Last()
	const n = 50
	for i := 1; i <= n; i++ {
		if err := far.Queue().SetVar("order", strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "all sent", func() bool { return c2.Counters().Queued == 0 && c2.Conn().Stats().InFlight == 0 })
	eventually(t, "last value set", func() bool { v, err := far.GetVar(ctx, "order"); return err == nil && v == strconv.Itoa(n) })
	// a closed client refuses to queue
	c2.Close()
	if err := far.Queue().Answer(); !errors.Is(err, cluster.ErrClientClosed) {
		t.Fatalf("queue on a closed client: %v", err)
	}
}
