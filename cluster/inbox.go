package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/switchio/switchio/esl"
)

// inbox decides where a connection's events are handled. While the loop
// is live, each event is handled at once on the connection's reader
// goroutine (esl.Config.EventHandler): no hand-off to another goroutine,
// which at low rates, where events come one at a time, cost each event a
// wake-up or two of the loop and of an idle thread. While it is not (before
// the client has started, and from a lost connection until the new one is
// resynced), events are held in order and handled when it goes live
// again, first those the resync reads.
//
// One goroutine at a time handles events, as one loop goroutine did: the
// reader of the current connection, or the goroutine that runs the
// client's loop (run) while the inbox is held.
type inbox struct {
	mu    sync.Mutex
	live  bool
	ctx   context.Context // the loop's context, given to handlers
	held  []*esl.Event
	limit int // most events held; past it the connection ends
}

// defaultHeldEvents bounds the events held while the inbox is not live
// when Config.ESL.EventQueueSize is not set: FreeSWITCH's own queue per
// listener (MAX_QUEUE_LEN).
const defaultHeldEvents = 100000

// deliver is the connection's event handler.
func (c *Client) deliver(ev *esl.Event) error {
	in := &c.inbox
	in.mu.Lock()
	if !in.live {
		if len(in.held) >= in.limit {
			in.mu.Unlock()
			return fmt.Errorf("%w: %d events held while the client resynced", esl.ErrSlowConsumer, in.limit)
		}
		in.held = append(in.held, ev)
		in.mu.Unlock()
		return nil
	}
	ctx := in.ctx
	in.mu.Unlock()
	c.handle(ctx, ev)
	return nil
}

// goLive handles the held events in order, then lets the reader handle
// the next ones itself. The reader waits meanwhile, so none overtakes.
func (c *Client) goLive(ctx context.Context) {
	in := &c.inbox
	in.mu.Lock()
	defer in.mu.Unlock()
	for len(in.held) > 0 {
		evs := in.held
		in.held = nil
		for i, ev := range evs {
			c.handle(ctx, ev)
			evs[i] = nil
		}
	}
	in.ctx, in.live = ctx, true
}

// hold makes the inbox hold events until goLive: called once a connection
// has ended, before the next one is dialled.
func (c *Client) hold() {
	c.inbox.mu.Lock()
	c.inbox.live = false
	c.inbox.mu.Unlock()
}

// takeHeld returns the events held so far and forgets them (resync
// handles them itself, before reconciling).
func (c *Client) takeHeld() []*esl.Event {
	c.inbox.mu.Lock()
	defer c.inbox.mu.Unlock()
	evs := c.inbox.held
	c.inbox.held = nil
	return evs
}
