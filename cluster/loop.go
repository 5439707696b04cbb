package cluster

import (
	"context"
	"sort"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/internal/goid"
)

// run is the event loop: it hands events to the connection's reader
// (inbox), resyncs and hands them over again when the connection drops.
func (c *Client) run(conn *esl.Conn) {
	defer c.wg.Done()
	c.inbox.loopG = goid.ID()
	loopCtx := context.WithValue(c.ctx, loopKey{}, true)
	for {
		c.goLive(loopCtx)
		select {
		case <-conn.Done():
		case <-c.ctx.Done():
		}
		if c.ctx.Err() != nil {
			// Close returns once the reader has, so no handler runs
			// after the loop.
			conn.Close() // Close may have run before this conn was installed
			return
		}
		c.hold()
		c.log.Warn("connection lost", "err", conn.Err())
		c.counters.disconnects.Add(1)
		c.jobsLost()
		c.connMu.Lock()
		c.conn = nil
		if c.cfg.NoReconnect {
			// waiters in waitConn fail instead of waiting for ever
			c.lost = true
		} else {
			c.connected = make(chan struct{})
		}
		c.connMu.Unlock()
		conn.Close()
		if c.cfg.NoReconnect {
			c.inbox.handler.Store(c.inbox.loopG)
			c.dropAllSessions(loopCtx, "SERVER_DISCONNECTED")
			c.inbox.handler.Store(0)
			<-c.ctx.Done()
			return
		}
		next := c.reconnect()
		if next == nil {
			return
		}
		conn = next
		// Handlers run during the resync (its made-up hang-ups): the
		// waiting calls are refused there as on the reader.
		c.inbox.handler.Store(c.inbox.loopG)
		c.resync(loopCtx, conn)
		c.inbox.handler.Store(0)
		c.connMu.Lock()
		if c.ctx.Err() != nil { // closed while reconnecting
			c.connMu.Unlock()
			conn.Close()
			return
		}
		c.conn = conn
		close(c.connected)
		c.connMu.Unlock()
		c.subscribeMissed(conn)
	}
}

// subscribeMissed subscribes, on a new connection, the events added by
// Subscribe after connect took its list and before the connection was
// installed: Subscribe saw no connection and left them to the reconnect.
func (c *Client) subscribeMissed(conn *esl.Conn) {
	c.subMu.Lock()
	var missed []string
	for e := range c.subs {
		if !c.subsOnWire[e] {
			missed = append(missed, e)
		}
	}
	c.subMu.Unlock()
	if len(missed) == 0 {
		return
	}
	sort.Strings(missed)
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := conn.Subscribe(ctx, c.cfg.Format, missed...); err != nil {
		c.log.Warn("subscribe after reconnect failed", "events", missed, "err", err)
	}
}

// reconnect redials with exponential backoff until it succeeds or the
// client closes.
func (c *Client) reconnect() *esl.Conn {
	delay := c.cfg.ReconnectMin
	for {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return nil
		}
		ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
		conn, err := c.connect(ctx)
		cancel()
		if err == nil {
			c.log.Info("reconnected")
			c.counters.reconnects.Add(1)
			return conn
		}
		c.log.Warn("reconnect failed", "err", err, "retry_in", delay)
		delay *= 2
		if delay > c.cfg.ReconnectMax {
			delay = c.cfg.ReconnectMax
		}
	}
}
