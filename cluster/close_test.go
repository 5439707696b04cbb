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
