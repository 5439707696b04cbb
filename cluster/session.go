package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchio/switchio/esl"
)

// ErrHungUp is returned by every wait on a session once the channel has hung
// up: a flow waiting for an event that can no longer come fails at once.
// A command the server refused because the channel is already gone
// ("-ERR invalid session id", "-ERR No such channel!") fails with it too,
// wrapping the server's reply.
var ErrHungUp = errors.New("cluster: session hung up")

// Session is one FreeSWITCH channel as seen by a Client. It keeps what the
// controller needs (identity, direction, times, state, a few variables),
// never every event's header set, so memory per session stays small.
//
// FreeSWITCH's clock (the *-Time headers) and the local clock (when the
// event reached us) are kept apart: the first measures the server, the
// difference measures the path to it.
type Session struct {
	client *Client
	uuid   string

	mu          sync.Mutex
	direction   string
	appID       string
	callKey     string
	call        *Call
	answered    bool
	hungUp      bool
	destroyed   bool
	cause       string
	createTime  time.Time // FreeSWITCH clock
	answerTime  time.Time
	hangupTime  time.Time
	createdAt   time.Time // local clock
	answeredAt  time.Time
	hungUpAt    time.Time
	destination string
	callerID    string
	vars        varList // app state and kept variables; nil until used
	waiters     []*waiter
	streams     []*EventStream // open Events streams; nil for most sessions
	pending     []command      // queued commands; guarded by client.cmdq.mu
	inQueue     bool           // pending or being sent; guarded by client.cmdq.mu
	done        chan struct{}  // closed at hang-up; created lazily
}

type waiter struct {
	key   string // event key, "" = any
	match func(*Event) bool
	ch    chan *Event
}

// UUID returns the channel's Unique-ID.
func (s *Session) UUID() string { return s.uuid }

// Client returns the client of the server the channel lives on.
func (s *Session) Client() *Client { return s.client }

// Direction returns "inbound" or "outbound" (FreeSWITCH's Call-Direction).
func (s *Session) Direction() string { s.mu.Lock(); defer s.mu.Unlock(); return s.direction }

// IsOutbound reports whether the channel was originated by the server.
func (s *Session) IsOutbound() bool { return s.Direction() == "outbound" }

// AppID returns the id of the apps that handle this session's events.
func (s *Session) AppID() string { s.mu.Lock(); defer s.mu.Unlock(); return s.appID }

// Call returns the call the session is a leg of.
func (s *Session) Call() *Call { s.mu.Lock(); defer s.mu.Unlock(); return s.call }

// Answered reports whether CHANNEL_ANSWER was seen.
func (s *Session) Answered() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.answered }

// HungUp reports whether CHANNEL_HANGUP was seen.
func (s *Session) HungUp() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.hungUp }

// HangupCause returns the hang-up cause, "" while the channel is up.
func (s *Session) HangupCause() string { s.mu.Lock(); defer s.mu.Unlock(); return s.cause }

// Destination returns Caller-Destination-Number.
func (s *Session) Destination() string { s.mu.Lock(); defer s.mu.Unlock(); return s.destination }

// Times returns the channel's create, answer and hang-up times on
// FreeSWITCH's clock (zero when not reached).
func (s *Session) Times() (create, answer, hangup time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTime, s.answerTime, s.hangupTime
}

// LocalTimes returns when the create, answer and hang-up events reached the
// controller, on the local clock.
func (s *Session) LocalTimes() (created, answered, hungUp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createdAt, s.answeredAt, s.hungUpAt
}

// Uptime returns how long the channel has existed on the local clock.
func (s *Session) Uptime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hungUpAt.IsZero() {
		return s.hungUpAt.Sub(s.createdAt)
	}
	return time.Since(s.createdAt)
}

// Var returns a value stored with SetLocal or kept from events
// (Config.KeepVariables).
func (s *Session) Var(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vars.get(name)
}

// SetLocal stores app state on the session; it is not sent to FreeSWITCH
// (see SetVar for that).
func (s *Session) SetLocal(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vars.set(name, value)
}

// Done is closed when the channel hangs up.
func (s *Session) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
		if s.hungUp {
			close(s.done)
		}
	}
	return s.done
}

// Recv waits for the next event called name on this session (a standard
// name, or "CUSTOM sub::class"; "" for any). The event is subscribed if it
// was not. Several goroutines may wait for the same event; each receives it.
//
// Recv sees only the events that arrive while it waits: one that comes
// while the flow does something else (between two Recv calls, during a
// command) is not kept for it. To read a series of events, such as the
// digits of a PIN, open a stream with Events before the command that
// causes them: it buffers them until they are read.
// It fails with ErrHungUp as soon as the channel hangs up, unless name is an
// event that still comes after hang-up (CHANNEL_HANGUP_COMPLETE, ...).
//
// Recv must not be called with the context of an event handler running on
// the loop (ErrWouldBlock): the loop is what delivers the event.
func (s *Session) Recv(ctx context.Context, name string) (*Event, error) {
	if s.client.onLoop(ctx) {
		return nil, fmt.Errorf("waiting for %s on %s: %w", name, s.uuid, ErrWouldBlock)
	}
	name = normalizeKey(name)
	if name != "" {
		if err := s.client.Subscribe(ctx, name); err != nil {
			return nil, err
		}
	}
	w, err := s.watch(name, nil)
	if err != nil {
		return nil, err
	}
	return s.await(ctx, w)
}

// watch registers a waiter before the command that causes the event is
// sent, so the event cannot slip past.
func (s *Session) watch(key string, match func(*Event) bool) (*waiter, error) {
	w := &waiter{key: key, match: match, ch: make(chan *Event, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.destroyed || (s.hungUp && !afterHangup(key)) {
		return nil, fmt.Errorf("waiting for %s on %s: %w", key, s.uuid, ErrHungUp)
	}
	s.waiters = append(s.waiters, w)
	return w, nil
}

func (s *Session) await(ctx context.Context, w *waiter) (*Event, error) {
	select {
	case ev, ok := <-w.ch:
		if !ok {
			return nil, fmt.Errorf("waiting for %s on %s: %w", w.key, s.uuid, ErrHungUp)
		}
		return ev, nil
	case <-ctx.Done():
		s.removeWaiter(w)
		return nil, ctx.Err()
	}
}

func afterHangup(name string) bool {
	switch name {
	case "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "CHANNEL_STATE",
		"CHANNEL_CALLSTATE", "CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE", "RECORD_STOP", "PLAYBACK_STOP",
		"CHANNEL_UNBRIDGE", "MEDIA_BUG_STOP":
		return true
	}
	return false
}

func (s *Session) removeWaiter(w *waiter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.waiters {
		if x == w {
			s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
			return
		}
	}
}

// deliver hands ev to the waiters for its key and buffers it in the
// streams that want it; called by the loop.
func (s *Session) deliver(key string, ev *Event) {
	s.mu.Lock()
	if len(s.waiters) == 0 && len(s.streams) == 0 {
		s.mu.Unlock()
		return
	}
	for _, st := range s.streams {
		if st.wants(key) && st.push(ev) {
			s.client.counters.eventsDropped.Add(1)
		}
	}
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if (w.key == key || w.key == "") && (w.match == nil || w.match(ev)) {
			w.ch <- ev
			continue
		}
		kept = append(kept, w)
	}
	s.waiters = kept
	s.mu.Unlock()
}

// failWaiters ends the waits that can no longer be satisfied after hang-up
// (final) or after the channel is gone (destroyed).
func (s *Session) failWaiters(destroyed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.waiters[:0]
	for _, w := range s.waiters {
		if !destroyed && afterHangup(w.key) {
			kept = append(kept, w)
			continue
		}
		close(w.ch)
	}
	s.waiters = kept
	s.endStreams(destroyed)
	if s.done != nil {
		select {
		case <-s.done:
		default:
			close(s.done)
		}
	}
}

// String identifies the session in logs.
func (s *Session) String() string { return s.uuid }

// eventTime reads a FreeSWITCH µs header.
func eventTime(ev *esl.Event, name string) time.Time { return ev.Time(name) }

// IsInbound reports whether the channel came into the server.
func (s *Session) IsInbound() bool { return s.Direction() == "inbound" }
