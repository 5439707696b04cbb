package cluster

import (
	"context"
	"testing"
	"time"
)

// TestQueuedCommandsNeverBlockTheLoop: a handler's Session commands are
// queued and return at once even when the sender is stuck (here waiting for
// a connection), however many there are.
func TestQueuedCommandsNeverBlockTheLoop(t *testing.T) {
	c, loop := newLoopClient(Config{Senders: 1})
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	c.connected = make(chan struct{}) // disconnected: senders wait in waitConn
	c.startSenders()
	defer func() { cancel(); c.wg.Wait() }()
	c.handle(loop, chanEvent("CHANNEL_CREATE", "q1"))
	s := c.Session("q1")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10000; i++ {
			_ = s.Answer(loop)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("queueing commands blocked the loop")
	}
}
