package cluster

import (
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"time"

	"github.com/switchio/switchio/esl"
)

func eventKey(ev *esl.Event) string {
	name := ev.Name()
	if name == "CUSTOM" {
		return "CUSTOM " + ev.Subclass()
	}
	return name
}

// handle runs on the loop for every event.
func (c *Client) handle(ctx context.Context, ev *esl.Event) {
	c.counters.events.Add(1)
	key := eventKey(ev)
	e := &Event{Event: ev, Key: key, Client: c}
	if key == "BACKGROUND_JOB" {
		if c.jobDone(ev.JobUUID()) && (strings.HasPrefix(ev.Body, "-ERR") || strings.HasPrefix(ev.Body, "-USAGE")) {
			c.counters.jobsFailed.Add(1)
		}
	} else if uuid := ev.UniqueID(); uuid != "" {
		s := c.Session(uuid)
		switch key {
		case "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_OUTGOING":
			if s == nil {
				s = c.newSession(ev)
			}
		case "CHANNEL_DESTROY":
		default:
			// A channel we have not seen (it predates the connection) is
			// adopted from its next channel event, but not from the
			// CHANNEL_STATE CS_DESTROY that follows CHANNEL_DESTROY: that
			// session would never be destroyed.
			if s == nil && strings.HasPrefix(key, "CHANNEL_") && ev.Get("Channel-State") != "CS_DESTROY" {
				s = c.newSession(ev)
			}
		}
		e.Session = s
		if s != nil {
			c.track(s, key, ev)
		}
	}
	if obs := c.observers.Load(); obs != nil {
		for _, o := range *obs {
			c.safe(e, "observer", func() { o.f(e) })
		}
	}
	c.dispatch(ctx, e)
	if e.Session != nil {
		e.Session.deliver(key, e)
		switch key {
		case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
			e.Session.failWaiters(false)
		case "CHANNEL_DESTROY":
			c.destroy(ctx, e.Session, e)
		}
	}
}

func (c *Client) newSession(ev *esl.Event) *Session {
	// Header values are views into the parsed event's buffer (several KB):
	// everything the session keeps is copied, so the event can be freed.
	now := time.Now()
	apps := *c.appsView.Load()
	s := &Session{
		client:      c,
		uuid:        strings.Clone(ev.UniqueID()),
		direction:   internDirection(ev.Direction()),
		appID:       strings.Clone(resolveAppID(ev, c.cfg.AppIDHeaders, apps)),
		createTime:  ev.Time("Caller-Channel-Created-Time"),
		createdAt:   now,
		destination: strings.Clone(ev.Get("Caller-Destination-Number")),
		callerID:    strings.Clone(ev.Get("Caller-Caller-ID-Number")),
	}
	if s.createTime.IsZero() {
		s.createTime = ev.Timestamp()
	}
	for _, k := range c.cfg.KeepVariables {
		if v := ev.Get(k); v != "" {
			s.vars.set(k, strings.Clone(v))
		}
	}
	s.callKey = firstHeader(ev, c.cfg.CorrelationHeaders, s.uuid)
	if s.callKey == s.uuid {
		s.callKey = s.uuid // share the copy, not the event's view
	} else {
		s.callKey = strings.Clone(s.callKey)
	}
	call, _ := c.reg.join(s.callKey, s)
	s.call = call
	c.sessMu.Lock()
	c.sessions[s.uuid] = s
	c.sessMu.Unlock()
	c.counters.sessionsTotal.Add(1)
	c.counters.sessionsActive.Add(1)
	c.counters.perAppInc(s.appID)
	c.noteUnrouted(s, ev, apps)
	return s
}

// internDirection returns Call-Direction without keeping the event's buffer.
func internDirection(d string) string {
	switch d {
	case "inbound":
		return "inbound"
	case "outbound":
		return "outbound"
	}
	return strings.Clone(d)
}

// internCause returns a hang-up cause without keeping the event's buffer.
func internCause(cause string) string {
	switch cause {
	case "NORMAL_CLEARING":
		return "NORMAL_CLEARING"
	case "ORIGINATOR_CANCEL":
		return "ORIGINATOR_CANCEL"
	}
	return strings.Clone(cause)
}

func firstHeader(ev *esl.Event, names []string, def string) string {
	for _, n := range names {
		if v := ev.Get(n); v != "" {
			return v
		}
	}
	return def
}

// track updates a session from one of its events.
func (c *Client) track(s *Session, key string, ev *esl.Event) {
	switch key {
	case "CHANNEL_ANSWER":
		s.mu.Lock()
		if !s.answered {
			s.answered = true
			s.answerTime = ev.Time("Caller-Channel-Answered-Time")
			if s.answerTime.IsZero() {
				s.answerTime = ev.Timestamp()
			}
			s.answeredAt = time.Now()
		}
		s.mu.Unlock()
	case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE":
		s.mu.Lock()
		if !s.hungUp {
			s.hungUp = true
			s.cause = internCause(ev.HangupCause())
			s.hangupTime = ev.Time("Caller-Channel-Hangup-Time")
			if s.hangupTime.IsZero() {
				s.hangupTime = ev.Timestamp()
			}
			s.hungUpAt = time.Now()
		}
		s.mu.Unlock()
	}
}

// destroy is the session destructor (CHANNEL_DESTROY; HANGUP_COMPLETE is
// racy across legs): counts the outcome and forgets the session.
func (c *Client) destroy(ctx context.Context, s *Session, e *Event) {
	c.sessMu.Lock()
	_, ok := c.sessions[s.uuid]
	delete(c.sessions, s.uuid)
	c.sessMu.Unlock()
	if !ok {
		return
	}
	s.mu.Lock()
	s.destroyed = true
	if s.cause == "" {
		s.cause = internCause(e.HangupCause())
	}
	cause, answered, call := s.cause, s.answered, s.call
	s.mu.Unlock()
	s.failWaiters(true)
	// Count before the session and call are seen gone: whoever sees
	// SessionsActive or ActiveCalls drop finds the outcome counted.
	c.counters.hangup(cause, answered, s.uuid, c.cfg.FailedPerCause)
	if call != nil {
		c.reg.leave(call, s, func() { c.counters.callsDone.Add(1) })
	}
	c.counters.sessionsActive.Add(-1)
}

// dispatch runs the handlers of the session's app id in load order. A
// handler's panic is logged with the call id and stops neither the other
// apps nor the loop.
func (c *Client) dispatch(ctx context.Context, e *Event) {
	apps := *c.appsView.Load()
	if len(apps) == 0 {
		return
	}
	id := DefaultAppID
	if e.Session != nil {
		id = e.Session.AppID()
	} else {
		id = resolveAppID(e.Event, c.cfg.AppIDHeaders, apps)
	}
	for _, la := range apps[id] {
		for _, h := range la.handlers[e.Key] {
			c.safe(e, la.name, func() { h(ctx, e) })
		}
	}
}

func (c *Client) safe(e *Event, who string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.counters.appPanics.Add(1)
			c.log.Error("app handler panicked", "app", who, "event", e.Key, "call", callID(e), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	f()
}

func callID(e *Event) string {
	if e == nil || e.Session == nil {
		return ""
	}
	if call := e.Session.Call(); call != nil {
		return call.Key()
	}
	return e.Session.uuid
}

// startFlow runs f in its own goroutine; its error or panic is logged.
// Flows are not started once Close has begun.
func (c *Client) startFlow(e *Event, f FlowFunc) {
	c.flowMu.Lock()
	if c.closed.Load() {
		c.flowMu.Unlock()
		return
	}
	c.flows.Add(1)
	c.flowMu.Unlock()
	key := ""
	if e != nil {
		key = e.Key
	}
	go func() {
		defer c.flows.Done()
		defer func() {
			if r := recover(); r != nil {
				c.counters.appPanics.Add(1)
				c.log.Error("flow panicked", "event", key, "call", callID(e), "panic", r, "stack", string(debug.Stack()))
			}
		}()
		if err := f(c.ctx, e); err != nil && !errors.Is(err, ErrHungUp) && c.ctx.Err() == nil {
			c.counters.flowErrors.Add(1)
			c.log.Warn("flow failed", "event", key, "call", callID(e), "err", err)
		}
	}()
}

// Go runs f as a flow of ev's call, in its own goroutine: Session methods
// called with its ctx wait for their results. Its error or panic is logged
// with the call id; Close waits for it (and cancels ctx). ev may be nil; Go
// may be called from any goroutine, and does nothing once Close has begun.
func (c *Client) Go(ev *Event, f func(ctx context.Context) error) {
	c.startFlow(ev, func(ctx context.Context, _ *Event) error { return f(ctx) })
}
