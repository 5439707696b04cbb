package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/switchio/switchio/esl"
	"github.com/switchio/switchio/esl/wire"
)

// resync reconciles tracked sessions with "show channels as json" after a
// reconnect. FreeSWITCH runs an api command in the connection's thread, so
// the events it sent before the listing's reply are already held (inbox) on the
// new connection when the reply arrives: they are handled first, and the
// channels they create are tracked with their full data (app id,
// correlation headers). Then sessions carried over from the lost connection
// that the server no longer has are ended, and channels still unknown (made
// while no connection was subscribed) are adopted from uuid_dump, which
// carries their variables. If the list cannot be read, sessions are kept
// (their events will still end them) rather than all declared lost.
func (c *Client) resync(ctx context.Context, conn *esl.Conn) {
	carried := make(map[string]bool)
	for _, s := range c.Sessions() {
		carried[s.uuid] = true
	}
	rctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	out, err := conn.API(rctx, "show channels as json")
	destroyed := c.drain(ctx, c.takeHeld())
	if err != nil {
		c.log.Warn("resync failed", "err", err)
		return
	}
	dump := func(ctx context.Context, uuid string) (*esl.Event, error) {
		out, err := conn.API(ctx, "uuid_dump "+uuid)
		if err != nil {
			return nil, err
		}
		return wire.ParseEventPlain([]byte(out))
	}
	if err := c.reconcile(rctx, ctx, out, carried, destroyed, dump); err != nil {
		c.log.Warn("resync failed", "err", err)
	}
}

// drain handles events (those held before the listing's reply) and
// returns the uuids whose CHANNEL_DESTROY was among them.
func (c *Client) drain(ctx context.Context, events []*esl.Event) map[string]bool {
	destroyed := make(map[string]bool)
	for _, ev := range events { // on the loop, marked as running handlers (run)
		if ev.Name() == "CHANNEL_DESTROY" {
			destroyed[ev.UniqueID()] = true
		}
		c.handle(ctx, ev)
	}
	return destroyed
}

// parseChannels reads the rows of "show channels as json" by uuid.
func parseChannels(out string) (map[string]map[string]string, error) {
	var res struct {
		RowCount *int                `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil {
		return nil, fmt.Errorf("show channels: %w (output %.80q)", err, out)
	}
	if res.RowCount == nil {
		return nil, fmt.Errorf("show channels: no row_count in %.80q", out)
	}
	live := make(map[string]map[string]string, len(res.Rows))
	for _, r := range res.Rows {
		if r["uuid"] != "" {
			live[r["uuid"]] = r
		}
	}
	return live, nil
}

// maxDumps bounds the uuid_dump commands in flight while adopting.
const maxDumps = 16

// reconcile applies a "show channels as json" listing to the tracked
// sessions; it runs on the loop (loopCtx) once the events that preceded the
// listing are handled. Only sessions in carried (tracked before the
// reconnect) can be ended for missing from the listing: one created since
// is live, or its CHANNEL_DESTROY is on its way. Listed channels neither
// tracked nor in destroyed are adopted from dump (nil, or a dump that
// fails for another reason than a -ERR reply, falls back to the listing's
// row); a -ERR means the channel is gone meanwhile.
func (c *Client) reconcile(ctx, loopCtx context.Context, out string, carried, destroyed map[string]bool,
	dump func(ctx context.Context, uuid string) (*esl.Event, error)) error {
	live, err := parseChannels(out)
	if err != nil {
		return err
	}
	for _, s := range c.Sessions() {
		row, ok := live[s.uuid]
		if !ok {
			if carried[s.uuid] {
				c.endSession(loopCtx, s, "LOST_ON_RECONNECT")
			}
			continue
		}
		if answeredState(row["callstate"]) {
			s.mu.Lock()
			if !s.answered { // CHANNEL_ANSWER came while we were away
				s.answered = true
				s.answeredAt = time.Now()
			}
			s.mu.Unlock()
		}
	}
	var unknown []string
	for uuid := range live {
		if c.Session(uuid) == nil && !destroyed[uuid] {
			unknown = append(unknown, uuid)
		}
	}
	sort.Strings(unknown)
	dumped := make([]*esl.Event, len(unknown))
	gone := make([]bool, len(unknown))
	if dump != nil {
		var wg sync.WaitGroup
		sem := make(chan struct{}, maxDumps)
		for i, uuid := range unknown {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ev, err := dump(ctx, uuid)
				var cmdErr *esl.CommandError
				switch {
				case errors.As(err, &cmdErr):
					gone[i] = true
				case err != nil:
					c.log.Warn("uuid_dump failed, adopting from the channel list", "session", uuid, "err", err)
				case ev.UniqueID() == uuid:
					dumped[i] = ev
				}
			}()
		}
		wg.Wait()
	}
	for i, uuid := range unknown {
		if gone[i] {
			continue
		}
		row := live[uuid]
		ev := dumped[i]
		if ev == nil {
			ev = wire.NewEvent("CHANNEL_CREATE")
			ev.Add("Unique-ID", uuid)
			ev.Add("Call-Direction", row["direction"])
			ev.Add("Caller-Destination-Number", row["dest"])
			ev.Add("Caller-Caller-ID-Number", row["cid_num"])
			ev.Add("Channel-Call-UUID", row["call_uuid"])
		}
		s := c.newSession(ev)
		if answeredState(row["callstate"]) || ev.Get("Answer-State") == "answered" {
			s.mu.Lock()
			s.answered = true
			s.answerTime = ev.Time("Caller-Channel-Answered-Time")
			s.mu.Unlock()
		}
	}
	c.log.Info("resynchronised", "channels", len(live), "unknown", len(unknown))
	return nil
}

// answeredState reports whether a "show channels" callstate means the
// channel was answered.
func answeredState(callstate string) bool {
	switch callstate {
	case "ACTIVE", "HELD", "UNHELD":
		return true
	}
	return false
}

func (c *Client) dropAllSessions(ctx context.Context, cause string) {
	for _, s := range c.Sessions() {
		c.endSession(ctx, s, cause)
	}
}

// endSession forgets a session whose DESTROY will never come.
func (c *Client) endSession(ctx context.Context, s *Session, cause string) {
	s.mu.Lock()
	if !s.hungUp {
		s.hungUp = true
		s.cause = cause
		s.hungUpAt = time.Now()
	}
	s.mu.Unlock()
	ev := wire.NewEvent("CHANNEL_DESTROY")
	ev.Add("Unique-ID", s.uuid)
	ev.Add("Hangup-Cause", cause)
	ev.Add(SynthesizedHeader, "true")
	e := &Event{Event: ev, Key: "CHANNEL_DESTROY", Session: s, Client: c}
	// Observers, apps and waiters see the end as they would a server's
	// CHANNEL_DESTROY: a dialer or a CDR tracking the call must not wait
	// for one that will never come.
	if obs := c.observers.Load(); obs != nil {
		for _, o := range *obs {
			c.safe(e, "observer", func() { o.f(e) })
		}
	}
	c.dispatch(ctx, e)
	s.deliver("CHANNEL_DESTROY", e)
	c.destroy(ctx, s, e)
}

// SynthesizedHeader marks the CHANNEL_DESTROY the client makes up for a
// session whose end the server will never report (lost on a reconnect,
// or the connection lost for good): its Hangup-Cause is
// LOST_ON_RECONNECT or SERVER_DISCONNECTED.
const SynthesizedHeader = "X-Switchio-Synthesized"
