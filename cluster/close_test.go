package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchio/switchio/cluster"
	"github.com/switchio/switchio/fsemu"
)

// TestCloseWhileFlowsStart starts flows from other goroutines while the
// client closes: Close must wait for every flow it let start, and the race
// detector must see no Add racing with Wait.
func TestCloseWhileFlowsStart(t *testing.T) {
	srv := fsemu.RunT(t)
	for i := 0; i < 20; i++ {
		ctx := testCtx(t)
		c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{})
		if err != nil {
			t.Fatal(err)
		}
		var started, finished sync.WaitGroup
		started.Add(1)
		var mu sync.Mutex
		running := 0
		go func() {
			defer started.Done()
			for j := 0; j < 50; j++ {
				c.Go(nil, func(ctx context.Context) error {
					mu.Lock()
					running++
					mu.Unlock()
					<-ctx.Done()
					time.Sleep(time.Millisecond)
					mu.Lock()
					running--
					mu.Unlock()
					return ctx.Err()
				})
			}
		}()
		finished.Add(1)
		go func() { defer finished.Done(); c.Close() }()
		finished.Wait()
		started.Wait()
		mu.Lock()
		n := running
		mu.Unlock()
		if n != 0 {
			t.Fatalf("Close returned with %d flows running", n)
		}
	}
}

// TestCloseWhileReconnecting closes a client whose server went away while
// it retries: Close returns promptly and nothing is left running (goleak).
func TestCloseWhileReconnecting(t *testing.T) {
	srv, err := fsemu.Start(context.Background(), fsemu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	c, err := cluster.Dial(ctx, srv.Addr(), cluster.Config{ReconnectMin: time.Millisecond, ReconnectMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	eventually(t, "disconnect seen", func() bool { return c.Counters().Disconnects == 1 })
	time.Sleep(20 * time.Millisecond)
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung while reconnecting")
	}
	if _, err := c.API(ctx, "status"); !errors.Is(err, cluster.ErrClientClosed) {
		t.Fatalf("API after Close: %v", err)
	}
}

// TestNoReconnectFailsCommands: with NoReconnect, a lost connection ends the
// sessions and later commands fail at once instead of waiting for a
// connection that never comes.
func TestNoReconnectFailsCommands(t *testing.T) {
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	s2 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx := testCtx(t)
	c1, err := cluster.Dial(ctx, s1.Addr(), cluster.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := cluster.Dial(ctx, s2.Addr(), cluster.Config{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	id := call(t, ctx, c1, s2.SIPAddr(), "x")
	var leg *cluster.Session
	eventually(t, "inbound leg", func() bool {
		for _, s := range c2.Sessions() {
			leg = s
		}
		return leg != nil
	})
	_ = id
	s2.DropConnections()
	eventually(t, "disconnect seen", func() bool { return c2.Counters().Disconnects == 1 && c2.Counters().SessionsActive == 0 })
	if leg.HangupCause() != "SERVER_DISCONNECTED" {
		t.Fatalf("leg cause %q", leg.HangupCause())
	}
	done := make(chan error, 2)
	go func() { _, err := c2.API(context.Background(), "status"); done <- err }()
	go func() { done <- leg.Hangup(context.Background(), "") }()
	for i := 0; i < 2; i++ {
		select {
		case err := <-done:
			if !errors.Is(err, cluster.ErrDisconnected) {
				t.Fatalf("got %v, want ErrDisconnected", err)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("command waited for a connection that never comes")
		}
	}
}

// TestSubscribeWhileReconnecting: events subscribed while the connection is
// down are subscribed on the new one.
func TestSubscribeWhileReconnecting(t *testing.T) {
	n := fsemu.NewNetwork()
	s1 := fsemu.RunT(t, fsemu.Config{Network: n})
	ctx := testCtx(t)
	c, err := cluster.Dial(ctx, s1.Addr(), cluster.Config{ReconnectMin: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	c.Observe(func(ev *cluster.Event) {
		if ev.Key == "CUSTOM switchio::late" {
			select {
			case got <- ev.Get("X-Msg"):
			default:
			}
		}
	})
	s1.DropConnections()
	eventually(t, "disconnected", func() bool { return c.Conn() == nil })
	if err := c.Subscribe(ctx, "CUSTOM switchio::late"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "reconnected", func() bool { return c.Conn() != nil })
	if _, err := c.Conn().SendEvent(ctx, "CUSTOM", []wireHeader{{Name: "Event-Subclass", Value: "switchio::late"}, {Name: "X-Msg", Value: "hi"}}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != "hi" {
			t.Fatalf("got %q", v)
		}
	case <-ctx.Done():
		t.Fatal("event subscribed while disconnected not delivered")
	}
}
