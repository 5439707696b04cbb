package cluster

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/internal/goid"
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
	// handler is the id of the goroutine running handlers now (0: none),
	// for onLoop; loopG that of the client's loop goroutine (run).
	handler atomic.Uint64
	loopG   uint64
	mu      sync.Mutex
	live    bool
	ctx     context.Context // the loop's context, given to handlers
	held    []*esl.Event
	limit   int // most events held; past it the connection ends
}

// defaultHeldEvents bounds the events held while the inbox is not live
// when Config.ESL.EventQueueSize is not set: FreeSWITCH's own queue per
// listener (MAX_QUEUE_LEN).
const defaultHeldEvents = 100000

// deliverer returns a connection's event handler: deliver, knowing the
// id of the connection's reader goroutine, noted at its first event.
func (c *Client) deliverer() func(*esl.Event) error {
	var g uint64
	return func(ev *esl.Event) error {
		if g == 0 {
			g = goid.ID()
		}
		return c.deliver(ev, g)
	}
}

// deliver handles or holds an event read by the reader goroutine g.
func (c *Client) deliver(ev *esl.Event, g uint64) error {
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
	in.handler.Store(g)
	c.handle(ctx, ev)
	in.handler.Store(0)
	return nil
}

// goLive handles the held events in order, then lets the reader handle
// the next ones itself. The reader waits meanwhile, so none overtakes.
func (c *Client) goLive(ctx context.Context) {
	in := &c.inbox
	in.mu.Lock()
	defer in.mu.Unlock()
	in.handler.Store(in.loopG)
	defer in.handler.Store(0)
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
