package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchio/switchio/esl"
)

// TestQueueBounded: queued commands beyond Config.QueueDepth fail at once
// with ErrQueueFull (esl's value), all or none, and the depth, high-water
// mark and refusals are counted.
func TestQueueBounded(t *testing.T) {
	tests := []struct {
		name     string
		depth    int
		queue    func(q Queue) error
		n        int // calls of queue
		accepted int // commands queued
		refused  int
	}{
		{"one command each", 5, func(q Queue) error { return q.Answer() }, 8, 5, 3},
		{"under the depth", 5, func(q Queue) error { return q.Hangup("") }, 4, 4, 0},
		// SetVars needs two commands here (a value holding ';' is set alone)
		{"several commands, all or none", 5, func(q Queue) error {
			return q.SetVars(map[string]string{"a": "1", "b": "x;y"})
		}, 3, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, loop := newLoopClient(Config{QueueDepth: tt.depth}) // no sender runs
			c.handle(loop, chanEvent("CHANNEL_CREATE", "q1"))
			s := c.Session("q1")
			refused := 0
			for i := 0; i < tt.n; i++ {
				err := tt.queue(s.Queue())
				switch {
				case err == nil:
				case errors.Is(err, ErrQueueFull) && errors.Is(err, esl.ErrQueueFull):
					refused++
				default:
					t.Fatalf("call %d: %v", i, err)
				}
			}
			k := c.Counters()
			if refused != tt.refused || k.QueueFull != uint64(tt.refused) {
				t.Errorf("%d refused, QueueFull %d; want %d", refused, k.QueueFull, tt.refused)
			}
			if k.Queued != int64(tt.accepted) || k.QueueHighWater != int64(tt.accepted) {
				t.Errorf("Queued %d, QueueHighWater %d; want %d", k.Queued, k.QueueHighWater, tt.accepted)
			}
		})
	}
}

// TestQueuedCommandsNeverBlockTheLoop: a handler's queued commands return
// at once even when the sender is stuck (here waiting for a connection),
// however many there are: past the depth they are refused, not waited for.
func TestQueuedCommandsNeverBlockTheLoop(t *testing.T) {
	const depth, n = 1000, 10000
	c, loop := newLoopClient(Config{Senders: 1, QueueDepth: depth})
	ctx, cancel := context.WithCancel(context.Background())
	c.ctx = ctx
	c.connected = make(chan struct{}) // disconnected: the sender waits in waitConn
	c.startSenders()
	defer func() { cancel(); c.wg.Wait() }()
	c.handle(loop, chanEvent("CHANNEL_CREATE", "q1"))
	s := c.Session("q1")
	done := make(chan int)
	go func() {
		refused := 0
		for i := 0; i < n; i++ {
			if err := s.Queue().Answer(); errors.Is(err, ErrQueueFull) {
				refused++
			}
		}
		done <- refused
	}()
	select {
	case refused := <-done:
		// the stuck sender holds one command, the queue the depth
		if accepted := n - refused; accepted != depth && accepted != depth+1 {
			t.Fatalf("%d commands accepted, want %d (+1 taken by the sender)", accepted, depth)
		}
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("queueing commands blocked the loop")
	}
}

// TestWaitingCommandsRefusedOnLoop: every waiting Session method called
// with an event handler's ctx fails at once with ErrWouldBlock instead of
// queueing behind the caller's back or stalling the loop.
func TestWaitingCommandsRefusedOnLoop(t *testing.T) {
	c, loop := newLoopClient(Config{})
	c.handle(loop, chanEvent("CHANNEL_CREATE", "w1"))
	s := c.Session("w1")
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Answer", s.Answer},
		{"Hangup", func(ctx context.Context) error { return s.Hangup(ctx, "") }},
		{"Execute", func(ctx context.Context) error { return s.Execute(ctx, "echo", "") }},
		{"Playback", func(ctx context.Context) error { _, err := s.Playback(ctx, PlaybackOptions{}, "a.wav"); return err }},
		{"SetVar", func(ctx context.Context) error { return s.SetVar(ctx, "a", "1") }},
		{"SetVars", func(ctx context.Context) error { return s.SetVars(ctx, map[string]string{"a": "1"}) }},
		{"SchedHangup", func(ctx context.Context) error { return s.SchedHangup(ctx, time.Second, "") }},
		{"GetVar", func(ctx context.Context) error { _, err := s.GetVar(ctx, "a"); return err }},
		{"ExecuteWait", func(ctx context.Context) error { _, err := s.ExecuteWait(ctx, "echo", ""); return err }},
		{"Recv", func(ctx context.Context) error { _, err := s.Recv(ctx, "DTMF"); return err }},
		{"EventStream.Next", func(ctx context.Context) error {
			st, err := s.Events(context.Background())
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.Next(ctx)
			return err
		}},
		{"CollectDigits", func(ctx context.Context) error {
			st, err := s.Events(context.Background())
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.CollectDigits(ctx, DigitOptions{Max: 1})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// a handler may derive its own ctx from the one it was given
			ctx, cancel := context.WithTimeout(loop, time.Minute)
			defer cancel()
			if err := tt.call(ctx); !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("got %v, want ErrWouldBlock", err)
			}
		})
	}
	if k := c.Counters(); k.Queued != 0 || k.Jobs != 0 {
		t.Fatalf("a refused command was queued or sent: %+v", k)
	}
}
